package io.kodiak.proxy;

import io.kodiak.filter.BodyTransform;
import io.kodiak.filter.ResponseContext;
import io.kodiak.filter.ResponseFilter;
import io.kodiak.http.FieldEdits;
import io.kodiak.http.RequestHead;
import io.kodiak.http.ResponseHead;
import io.kodiak.upstream.Upstream;

import java.nio.ByteBuffer;

/**
 * The response filter phase of one exchange: runs the filters in order when the upstream's final
 * head arrives, and keeps the field edits and the body transforms they asked for (chained in
 * filter order). Made only when there are response filters.
 *
 * <p>Threading: called with the session's lock held, on a selector thread.
 */
final class ResponsePhase implements ResponseContext {
    private final RequestHead request;
    private final ResponseHead head;
    /** The exchange, for its client and request ID; null in tests that give only the heads. */
    private final Exchange exchange;
    /** The upstream that answered, or null. */
    private final Upstream upstream;
    private FieldEdits edits;
    private BodyTransform transform;
    /** The body's length after the transforms so far, or -1 ({@link #bodyLength}). */
    private long length;

    private ResponsePhase(RequestHead request, ResponseHead head, Exchange exchange, Upstream upstream) {
        this.request = request;
        this.head = head;
        this.exchange = exchange;
        this.upstream = upstream;
        this.length = head.framing() == ResponseHead.Framing.LENGTH ? head.contentLength() : -1;
    }

    static ResponsePhase run(ResponseFilter[] filters, RequestHead request, ResponseHead head) {
        return run(filters, request, head, null, null);
    }

    /** @param upstream the upstream that answered, for {@code $upstream_addr} and {@code $upstream_name} */
    static ResponsePhase run(ResponseFilter[] filters, RequestHead request, ResponseHead head, Exchange exchange,
                             Upstream upstream) {
        ResponsePhase p = new ResponsePhase(request, head, exchange, upstream);
        for (ResponseFilter f : filters) {
            BodyTransform t = f.onResponse(p);
            if (t != null) {
                if (!p.hasBody()) {
                    throw new IllegalStateException(f + " transforms a response that has no body");
                }
                p.transform = p.transform == null ? t : new Chain(p.transform, t);
                p.length = t.length();
            }
        }
        return p;
    }

    /** The edits to the client's fields, or null. */
    FieldEdits edits() {
        return edits == null || edits.isEmpty() ? null : edits;
    }

    /** The body transform (several chained in order), or null. */
    BodyTransform transform() {
        return transform;
    }

    @Override
    public RequestHead request() {
        return request;
    }

    @Override
    public ResponseHead head() {
        return head;
    }

    @Override
    public boolean hasBody() {
        return head.framing() != ResponseHead.Framing.NONE;
    }

    @Override
    public FieldEdits clientFields() {
        if (edits == null) {
            edits = new FieldEdits();
        }
        return edits;
    }

    @Override
    public String field(String lowerName) {
        return edits == null ? head.fields().get(lowerName) : edits.valueAfter(head.fields(), lowerName);
    }

    @Override
    public boolean fieldHasToken(String lowerName, String lowerToken) {
        return edits == null ? head.fields().hasToken(lowerName, lowerToken)
                : edits.hasToken(head.fields(), lowerName, lowerToken);
    }

    @Override
    public long bodyLength() {
        return length;
    }

    @Override
    public String clientAddress() {
        return exchange == null ? "" : exchange.clientIp();
    }

    @Override
    public String route() {
        return exchange == null ? null : exchange.routeName;
    }

    @Override
    public String pool() {
        return exchange == null || exchange.pool == null ? null : exchange.pool.name();
    }

    @Override
    public String requestId() {
        return exchange == null ? "" : exchange.requestId();
    }

    @Override
    public String scheme() {
        return exchange == null ? "http" : exchange.listenerConfig().scheme();
    }

    @Override
    public int serverPort() {
        return exchange == null ? 0 : exchange.localPort();
    }

    @Override
    public String upstreamAddress() {
        return upstream == null ? null : upstream.addressText();
    }

    @Override
    public String upstreamName() {
        return upstream == null ? null : upstream.name();
    }

    /** Two transforms in a row: what the first emits is the second's input. */
    private record Chain(BodyTransform first, BodyTransform second) implements BodyTransform {
        private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

        @Override
        public ByteBuffer apply(ByteBuffer in) {
            return second.apply(orEmpty(first.apply(in)));
        }

        @Override
        public ByteBuffer flush() {
            return concat(orEmpty(second.apply(orEmpty(first.flush()))), orEmpty(second.flush()));
        }

        @Override
        public ByteBuffer finish() {
            return concat(orEmpty(second.apply(orEmpty(first.finish()))), orEmpty(second.finish()));
        }

        private static ByteBuffer concat(ByteBuffer tail, ByteBuffer end) {
            if (!end.hasRemaining()) {
                return tail;
            }
            if (!tail.hasRemaining()) {
                return end;
            }
            return ByteBuffer.allocate(tail.remaining() + end.remaining()).put(tail).put(end).flip();
        }

        @Override
        public void close() {
            try {
                first.close();
            } finally {
                second.close();
            }
        }

        /** A transform may return null for "nothing yet". */
        private static ByteBuffer orEmpty(ByteBuffer b) {
            return b == null ? EMPTY.duplicate() : b;
        }
    }
}
