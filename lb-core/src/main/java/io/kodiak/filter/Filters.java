package io.kodiak.filter;

import java.util.Arrays;

/**
 * The filters of one listener or route, per phase, in order. {@link #NONE} is shared: a request
 * on a listener and route without filters allocates nothing for them.
 *
 * @param request  run after the head is read and routed
 * @param response run when the response head arrives
 * @param log      run when the exchange has ended
 */
public record Filters(RequestFilter[] request, ResponseFilter[] response, LogFilter[] log) {
    public static final Filters NONE = new Filters(new RequestFilter[0], new ResponseFilter[0], new LogFilter[0]);

    public Filters {
        request = request.clone();
        response = response.clone();
        log = log.clone();
    }

    public boolean isEmpty() {
        return request.length == 0 && response.length == 0 && log.length == 0;
    }

    /**
     * These filters, then {@code f}'s (a listener's, then its route's). A response filter that
     * {@linkplain ResponseFilter#encodesBody encodes the body} goes last, and {@code f}'s replaces
     * this one's: one compression per response, on the body the other filters made.
     */
    public Filters then(Filters f) {
        if (f.isEmpty()) {
            return this;
        }
        if (isEmpty()) {
            return f;
        }
        return new Filters(concat(request, f.request), responses(response, f.response), concat(log, f.log));
    }

    private static ResponseFilter[] responses(ResponseFilter[] first, ResponseFilter[] then) {
        ResponseFilter encoder = null;
        ResponseFilter[] out = new ResponseFilter[first.length + then.length];
        int n = 0;
        for (int i = 0; i < out.length; i++) {
            ResponseFilter r = i < first.length ? first[i] : then[i - first.length];
            if (r.encodesBody()) {
                encoder = r; // the later (the route's) wins
            } else {
                out[n++] = r;
            }
        }
        if (encoder != null) {
            out[n++] = encoder;
        }
        return n == out.length ? out : Arrays.copyOf(out, n);
    }

    /** These filters with {@code l} added to the log phase. */
    public Filters withLog(LogFilter l) {
        return new Filters(request, response, concat(log, new LogFilter[] {l}));
    }

    private static <T> T[] concat(T[] a, T[] b) {
        T[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Override
    public String toString() {
        return "Filters[" + request.length + " request, " + response.length + " response, " + log.length + " log]";
    }
}
