package io.kodiak.proxy;

import io.kodiak.filter.BodyInspector;
import org.glassfish.grizzly.Buffer;

/**
 * The first bytes of a request body, kept for a {@link BodyInspector} while the body is buffered
 * as usual: one copy of at most {@link BodyInspector#limit()} bytes, whatever the body's size,
 * taken from the decoded data before it goes to the body's buffer (whose bytes may be in a temp
 * file by the time the body is complete). The array grows as bytes arrive, so a small body of a
 * chunked request does not cost the whole limit.
 *
 * <p>Threading: called with the session's lock held, as {@link RequestBody} is.
 */
final class BodyPeek {
    private final BodyInspector inspector;
    private final int limit;
    private byte[] held;
    private int length;

    /** @param contentLength the body's declared length, or {@link io.kodiak.http.RequestHead#CHUNKED} */
    BodyPeek(BodyInspector inspector, long contentLength) {
        this.inspector = inspector;
        this.limit = Math.max(0, inspector.limit());
        int first = contentLength >= 0 ? (int) Math.min(limit, contentLength) : Math.min(limit, 4096);
        this.held = new byte[first];
    }

    /** The largest body accepted: beyond it the request gets 413. */
    long maxBody() {
        return inspector.maxBody();
    }

    /** Keeps what still fits of {@code data}; its position is left as it was. */
    void add(Buffer data) {
        int n = Math.min(data.remaining(), limit - length);
        if (n <= 0) {
            return;
        }
        if (length + n > held.length) {
            held = java.util.Arrays.copyOf(held, (int) Math.min(limit, Math.max(length + n, 2L * held.length)));
        }
        int p = data.position();
        data.get(held, length, n);
        data.position(p);
        length += n;
    }

    /** The inspector's verdict on the complete body of {@code total} bytes: 0, or a status. */
    int verdict(long total) {
        return inspector.inspect(held, length, total);
    }
}
