package io.kodiak.proxy;

import io.kodiak.balancer.ConsistentHash;
import io.kodiak.config.HashConfig;
import io.kodiak.http.HeaderFields;
import io.kodiak.http.RequestHead;

/**
 * The hash key of a request for {@code consistent-hash}: a header's first value, a cookie's value,
 * or the client's address. A request without the header or cookie is hashed on its client address,
 * so it still lands on a stable upstream (HAProxy falls back to round-robin instead).
 */
final class HashKeys {
    private HashKeys() {
    }

    static long of(HashConfig hash, RequestHead req, String clientIp) {
        String value = switch (hash.source()) {
            case CLIENT_IP -> null;
            case HEADER -> req.fields().get(hash.name());
            case COOKIE -> cookie(req.fields(), hash.name());
        };
        return ConsistentHash.hash(value == null || value.isEmpty() ? clientIp : value);
    }

    /** The value of cookie {@code name} in any {@code Cookie} field ({@code a=1; b=2}), or {@code null}. */
    static String cookie(HeaderFields f, String name) {
        return io.kodiak.filter.RequestVariables.cookie(f, name);
    }
}
