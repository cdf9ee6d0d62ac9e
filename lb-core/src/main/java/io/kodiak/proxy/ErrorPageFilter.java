package io.kodiak.proxy;

import io.kodiak.config.ErrorPagesConfig;
import io.kodiak.config.PoolConfig;
import io.kodiak.filter.BodyTransform;
import io.kodiak.filter.Filters;
import io.kodiak.filter.ResponseContext;
import io.kodiak.filter.ResponseFilter;
import io.kodiak.http.FieldEdits;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A listener's or route's {@code error-pages}. It carries the pages for Kodiak's own answers
 * ({@link #find}: route, then pool, then listener) and, with {@code intercept: true}, replaces the
 * body of an upstream response whose status has a page (nginx {@code proxy_intercept_errors on}):
 * the status stays, the fields that described the upstream's body go, and the body is dropped as
 * it streams in and the page sent at its end, so a traceback never reaches the client and the
 * upstream connection is read to its end and can be reused. A response without a body (HEAD)
 * gets only the fields, with the page's length.
 *
 * <p>Immutable and shared; runs on a selector thread. Without {@code intercept} it is in its
 * listener's or route's response filters only to be found, and passes every response at once.
 */
final class ErrorPageFilter implements ResponseFilter {
    /** Fields about the upstream's body, wrong for the page. */
    private static final List<String> BODY_FIELDS = List.of("Content-Type", "Content-Encoding", "Content-Range",
            "Content-Language", "Content-Location", "Content-Disposition", "Content-MD5", "Digest", "ETag",
            "Last-Modified", "Accept-Ranges");

    private final ErrorPagesConfig config;
    /**
     * In a listener's filter combined with its route's ({@link #then}): the route's pages, which
     * win over the listener's; else null.
     */
    private final ErrorPagesConfig route;

    ErrorPageFilter(ErrorPagesConfig config) {
        this(config, null);
    }

    private ErrorPageFilter(ErrorPagesConfig config, ErrorPagesConfig route) {
        this.config = config;
        this.route = route;
    }

    @Override
    public BodyTransform onResponse(ResponseContext response) {
        ErrorPagesConfig.Page page = intercepted(response.head().status());
        if (page == null) {
            return null;
        }
        FieldEdits f = response.clientFields();
        for (String name : BODY_FIELDS) {
            f.remove(name);
        }
        f.set("Content-Type", page.contentType());
        if (!response.hasBody()) {
            f.declareLength(page.body().length); // a HEAD: the length the page would have
            return null;
        }
        return new Replace(page.body());
    }

    /**
     * The page an upstream response with {@code status} gets instead of its body, or null when it
     * passes. Alone, a filter intercepts the statuses it has a page for. Combined, the listener's
     * {@code intercept} covers every status with a page for the request (the route's, else the
     * listener's) and the route's covers the route's own pages; the route's page wins either way.
     */
    private ErrorPagesConfig.Page intercepted(int status) {
        ErrorPagesConfig.Page own = route == null ? null : route.find(status);
        if (own != null) {
            return config.intercept() || route.intercept() ? own : null;
        }
        return config.intercept() ? config.find(status) : null;
    }

    /**
     * {@code listener}'s filters then {@code route}'s ({@link Filters#then}), built once per route.
     * When both have {@code error-pages} and either intercepts, one filter intercepts for both, in
     * the place of the one that intercepts (the listener's if it does): the route's pages first,
     * so that an error the listener intercepts gets the route's page when it has one.
     */
    static Filters then(Filters listener, Filters route) {
        Filters all = listener.then(route);
        int l = last(listener.response());
        int r = last(route.response());
        if (l < 0 || r < 0) {
            return all;
        }
        ErrorPageFilter lf = (ErrorPageFilter) listener.response()[l];
        ErrorPageFilter rf = (ErrorPageFilter) route.response()[r];
        if (!lf.config.intercept() && !rf.config.intercept()) {
            return all;
        }
        ResponseFilter merged = new ErrorPageFilter(lf.config, rf.config);
        ResponseFilter[] out = all.response();
        List<ResponseFilter> list = new ArrayList<>(out.length);
        for (ResponseFilter f : out) {
            if (f == lf) {
                list.add(lf.config.intercept() ? merged : f);
            } else if (f == rf) {
                if (!lf.config.intercept()) {
                    list.add(merged);
                }
            } else {
                list.add(f);
            }
        }
        return new Filters(all.request(), list.toArray(new ResponseFilter[0]), all.log());
    }

    /** The index of the last {@link ErrorPageFilter} among {@code filters}, or -1. */
    private static int last(ResponseFilter[] filters) {
        for (int i = filters.length - 1; i >= 0; i--) {
            if (filters[i] instanceof ErrorPageFilter) {
                return i;
            }
        }
        return -1;
    }

    /**
     * The page for Kodiak's own answer {@code status}: the route's, then the pool's, then the
     * listener's; null for the built-in text.
     *
     * @param route    the route's filters (or {@link Filters#NONE})
     * @param pool     the pool's configuration, or null
     * @param listener the listener's filters
     */
    static ErrorPagesConfig.Page find(int status, Filters route, PoolConfig pool, Filters listener) {
        if (status < 400) {
            return null;
        }
        ErrorPagesConfig.Page p = in(route, status);
        if (p == null && pool != null && pool.errorPages() != null) {
            p = pool.errorPages().find(status);
        }
        return p != null ? p : in(listener, status);
    }

    /** The page of the last {@code error-pages} among {@code filters}, or null. */
    static ErrorPagesConfig.Page in(Filters filters, int status) {
        ResponseFilter[] r = filters.response();
        int i = last(r);
        return i < 0 ? null : ((ErrorPageFilter) r[i]).config.find(status);
    }

    /** Drops the upstream's body; the page at its end. */
    private record Replace(byte[] page) implements BodyTransform {
        @Override
        public ByteBuffer apply(ByteBuffer in) {
            return null;
        }

        /** A new buffer over the shared page: Kodiak only reads what a transform returns. */
        @Override
        public ByteBuffer finish() {
            return ByteBuffer.wrap(page);
        }

        @Override
        public long length() {
            return page.length;
        }
    }

    @Override
    public String toString() {
        return "ErrorPageFilter[" + config.pages().keySet() + (config.intercept() ? ", intercept" : "")
                + (route == null ? "" : ", route " + route.pages().keySet() + (route.intercept() ? ", intercept" : ""))
                + "]";
    }
}
