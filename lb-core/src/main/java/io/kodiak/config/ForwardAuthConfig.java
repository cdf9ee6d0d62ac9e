package io.kodiak.config;

import java.time.Duration;
import java.util.List;

/**
 * A listener's or route's {@code forward-auth}: each request is first asked about to an auth
 * service, a pool of Kodiak's own (nginx {@code auth_request} with {@code auth_request_set},
 * Traefik ForwardAuth). A 2xx lets the request through with {@code responseHeaders} of the
 * answer copied upstream; a 401, 403 or redirect goes back to the client; anything else is a 500.
 *
 * @param pool            the pool of the auth service (in {@code pools:}; it needs no route)
 * @param path            the target of the subrequest: an origin-form path, with a query if wanted
 * @param timeout         the whole subrequest: connect, send and the answer's last byte
 * @param requestHeaders  the client's fields sent to the auth service, as the client sent them
 * @param responseHeaders the auth service's fields copied upstream on a 2xx; the client's fields
 *                        of these names are always removed first, so a client cannot forge them
 * @param maxBody         the largest body of a denial (401, 403, 3xx) passed on to the client
 * @param cache           the answers kept per credential, or {@code null} (the default: none)
 */
public record ForwardAuthConfig(String pool, String path, Duration timeout, List<String> requestHeaders,
                                List<String> responseHeaders, int maxBody, Cache cache) implements FeatureConfig {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
    public static final List<String> DEFAULT_REQUEST_HEADERS = List.of("Authorization", "Cookie");
    public static final int DEFAULT_MAX_BODY = 64 * 1024;
    public static final int MAX_MAX_BODY = 1024 * 1024;

    public ForwardAuthConfig {
        requestHeaders = List.copyOf(requestHeaders);
        responseHeaders = List.copyOf(responseHeaders);
    }

    /**
     * The answers kept, keyed on the values of {@code request-headers} (the credential).
     *
     * @param ttl        how long an answer is used
     * @param maxEntries how many answers are kept; the least recently used goes first
     * @param denials    whether 401 and 403 answers are kept too (2xx always are)
     */
    public record Cache(Duration ttl, int maxEntries, boolean denials, Scope scope) {
        public static final int DEFAULT_MAX_ENTRIES = 10_000;

        /** What an answer is reused for, besides the same credential. */
        public enum Scope {
            /** The same method, scheme, {@code Host}, target (path and query) and client address: the same subrequest. */
            REQUEST,
            /** The same {@code Host}, any path: for a service that decides by user and host alone. */
            HOST
        }
    }
}
