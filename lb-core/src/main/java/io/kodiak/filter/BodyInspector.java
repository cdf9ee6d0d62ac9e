package io.kodiak.filter;

/**
 * A look at a request's body before it goes upstream, asked for by a {@link RequestFilter}
 * through {@link RequestContext#inspectBody}: request rules on the body (ModSecurity's phase 2,
 * Coraza's request body phase). The exchange keeps the first {@link #limit()} bytes of the body
 * as it arrives (one copy, within that bound), and once the whole body is in, and before an
 * upstream is picked, hands them here. A request whose body is inspected is buffered even on a
 * pool that streams request bodies: a body already upstream can no longer be refused.
 *
 * <p>Threading: called on the client connection's selector thread with its lock held; it must
 * not block, and must finish in time bounded by {@link #limit()} (a linear-time matcher).
 */
public interface BodyInspector {
    /** How many of the body's first bytes to keep for {@link #inspect}. */
    int limit();

    /** The largest body accepted: beyond it the request is refused with 413 as soon as it is seen. */
    default long maxBody() {
        return Long.MAX_VALUE;
    }

    /**
     * @param held   the body's first bytes; valid only during the call, never to be changed
     * @param length how many of {@code held} are the body's ({@code min(total, limit())})
     * @param total  the body's whole length, which may exceed {@link #limit()}
     * @return 0 to let the request go on, or the status of the answer that denies it (it gets the
     *         error pages, as a filter's answer does)
     */
    int inspect(byte[] held, int length, long total);

    /** Both {@code a} and {@code b} (a listener's rules, then a route's): the first denial wins. */
    static BodyInspector both(BodyInspector a, BodyInspector b) {
        return new BodyInspector() {
            @Override
            public int limit() {
                return Math.max(a.limit(), b.limit());
            }

            @Override
            public long maxBody() {
                return Math.min(a.maxBody(), b.maxBody());
            }

            @Override
            public int inspect(byte[] held, int length, long total) {
                int s = a.inspect(held, Math.min(length, a.limit()), total);
                return s != 0 ? s : b.inspect(held, Math.min(length, b.limit()), total);
            }
        };
    }
}
