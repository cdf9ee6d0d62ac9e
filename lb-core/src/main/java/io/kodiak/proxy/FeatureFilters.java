package io.kodiak.proxy;

import io.kodiak.config.ErrorPagesConfig;
import io.kodiak.config.ExpiresConfig;
import io.kodiak.config.FeatureConfig;
import io.kodiak.config.HeaderRulesConfig;
import io.kodiak.filter.Filters;
import io.kodiak.filter.LogFilter;
import io.kodiak.filter.RequestFilter;
import io.kodiak.filter.ResponseFilter;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns a listener's or route's {@link FeatureConfig} sections into the filters of its phases, in
 * the order the sections were read. Built once per configuration (and per reload), never per request.
 */
final class FeatureFilters {
    private FeatureFilters() {
    }

    /** The filters of {@code features}, or {@link Filters#NONE} when there are none (tests: nothing shared). */
    static Filters of(List<FeatureConfig> features) {
        return of(features, new FeatureRuntime(), java.util.Map.of());
    }

    /**
     * @param rt    what features share across reloads (the suspension timer, zones)
     * @param pools the running pools by name (a forward-auth's service)
     */
    static Filters of(List<FeatureConfig> features, FeatureRuntime rt, java.util.Map<String, io.kodiak.upstream.PoolRuntime> pools) {
        if (features.isEmpty()) {
            return Filters.NONE;
        }
        List<RequestFilter> request = new ArrayList<>();
        List<ResponseFilter> response = new ArrayList<>();
        for (FeatureConfig f : features) {
            // access
            if (f instanceof io.kodiak.config.AccessConfig c) {
                request.add(AccessFilter.of(c, rt.access()));
                continue;
            }

            // request-rules
            if (f instanceof io.kodiak.config.RequestRulesConfig c) {
                request.add(new io.kodiak.waf.RequestRules(c));
                continue;
            }

            // rate-limit
            if (f instanceof io.kodiak.config.RateLimitConfig c) {
                request.add(new io.kodiak.limit.RateLimitFilter(c,
                        c.rules().stream().map(r -> rt.limitZones().rate(r.zone())).toList()));
                continue;
            }

            // concurrency-limit
            if (f instanceof io.kodiak.config.ConcurrencyLimitConfig c) {
                request.add(new io.kodiak.limit.ConcurrencyLimitFilter(c,
                        c.rules().stream().map(r -> rt.limitZones().concurrency(r.zone())).toList()));
                continue;
            }

            // basic-auth
            if (f instanceof io.kodiak.config.BasicAuthConfig c) {
                request.add(new io.kodiak.auth.BasicAuthFilter(c, rt.basicAuth()));
                continue;
            }

            // forward-auth
            if (f instanceof io.kodiak.config.ForwardAuthConfig c) {
                io.kodiak.upstream.PoolRuntime authPool = pools.get(c.pool());
                if (authPool == null) {
                    throw new IllegalArgumentException("forward-auth: no pool " + c.pool()); // the config checks it
                }
                request.add(new io.kodiak.auth.ForwardAuthFilter(c, rt.subrequests().to(authPool), System::nanoTime,
                        "forward-auth (pool " + c.pool() + ", " + c.path() + ")"));
                continue;
            }

            // header rules
            if (f instanceof HeaderRulesConfig c) {
                if (!c.isEmpty()) {
                    HeaderRules rules = new HeaderRules(c);
                    if (c.response()) {
                        response.add(rules);
                    } else {
                        request.add(rules);
                    }
                }
                continue;
            }
            if (f instanceof ExpiresConfig c) {
                response.add(new ExpiresFilter(c));
                continue;
            }

            // rewrite
            if (f instanceof io.kodiak.config.RewriteConfig c) {
                request.add(new io.kodiak.route.RewriteFilter(c));
                continue;
            }

            // redirect
            if (f instanceof io.kodiak.config.RedirectConfig c) {
                request.add(new io.kodiak.route.RedirectFilter(c));
                continue;
            }

            // respond
            if (f instanceof io.kodiak.config.RespondConfig c) {
                request.add(new io.kodiak.route.RespondFilter(c));
                continue;
            }

            // static
            if (f instanceof io.kodiak.config.StaticConfig c) {
                request.add(new io.kodiak.files.StaticSite(c));
                continue;
            }

            // error pages
            if (f instanceof ErrorPagesConfig c) {
                response.add(new ErrorPageFilter(c)); // also without intercept: Kodiak's answers find it here
                continue;
            }

            // compression
            if (f instanceof io.kodiak.config.CompressionConfig c) {
                response.add(new io.kodiak.compress.CompressionFilter(c));
                continue;
            }

            throw new IllegalArgumentException("no filters for " + f);
        }
        if (request.isEmpty() && response.isEmpty()) {
            return Filters.NONE;
        }
        return new Filters(request.toArray(new RequestFilter[0]), response.toArray(new ResponseFilter[0]), new LogFilter[0]);
    }
}
