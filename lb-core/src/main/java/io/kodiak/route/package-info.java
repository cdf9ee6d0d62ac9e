/**
 * What a route does to a request besides choosing its pool: rewrite what goes upstream
 * ({@link io.kodiak.route.RewriteFilter}), or answer it without an upstream
 * ({@link io.kodiak.route.RedirectFilter}, {@link io.kodiak.route.RespondFilter}). Each is a
 * {@link io.kodiak.filter.RequestFilter} made from its {@link io.kodiak.config.FeatureConfig}
 * once per configuration: everything that does not depend on the request is computed then.
 */
package io.kodiak.route;
