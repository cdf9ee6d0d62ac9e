package io.kodiak.proxy;

import io.kodiak.config.TlsConfig;
import io.kodiak.filter.BodyTransform;
import io.kodiak.filter.ResponseContext;
import io.kodiak.filter.ResponseFilter;

/**
 * A TLS listener's {@code tls.hsts}: {@code Strict-Transport-Security} on every proxied response,
 * in place of any the app sent, as nginx's {@code add_header Strict-Transport-Security ... always}
 * with {@code proxy_hide_header} would. Browsers then use HTTPS for the host until max-age passes.
 *
 * <p>Immutable; any selector thread.
 */
final class Hsts implements ResponseFilter {
    private final String value;

    Hsts(TlsConfig.Hsts hsts) {
        this.value = hsts.headerValue();
    }

    @Override
    public BodyTransform onResponse(ResponseContext response) {
        response.clientFields().set("Strict-Transport-Security", value);
        return null;
    }

    @Override
    public String toString() {
        return "hsts(" + value + ")";
    }
}
