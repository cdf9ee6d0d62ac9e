package io.kodiak.http;

import java.nio.charset.StandardCharsets;

/**
 * A parsed and validated request head. The target and every field stay as bytes of the
 * original head, so that they are forwarded exactly as received.
 */
public final class RequestHead {
    /** No body, or a body of this many bytes, or a chunked body. */
    public static final long NO_BODY = 0, CHUNKED = -1;

    final byte[] head;
    final HeaderFields fields;
    String method;
    int targetStart;
    int targetEnd;
    int versionMinor;
    long contentLength;
    boolean keepAlive;
    boolean expectContinue;
    boolean webSocketUpgrade;
    boolean absoluteForm;
    int droppedFields;
    String host;
    String path;

    RequestHead(byte[] head) {
        this.head = head;
        this.fields = new HeaderFields(head);
    }

    public String method() {
        return method;
    }

    public boolean isHead() {
        return "HEAD".equals(method);
    }

    /**
     * The request target bytes as received; for {@link #absoluteForm()} only what follows the
     * authority (path and query, possibly empty), which is what is forwarded.
     */
    public String target() {
        return new String(head, targetStart, targetEnd - targetStart, StandardCharsets.ISO_8859_1);
    }

    public int targetStart() {
        return targetStart;
    }

    public int targetEnd() {
        return targetEnd;
    }

    public byte[] bytes() {
        return head;
    }

    public HeaderFields fields() {
        return fields;
    }

    /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
    public int versionMinor() {
        return versionMinor;
    }

    /** {@link #NO_BODY}, a byte count, or {@link #CHUNKED}. */
    public long contentLength() {
        return contentLength;
    }

    public boolean hasBody() {
        return contentLength != NO_BODY;
    }

    /** Whether the client wants the connection kept open after the response. */
    public boolean keepAlive() {
        return keepAlive;
    }

    public boolean expectContinue() {
        return expectContinue;
    }

    public boolean webSocketUpgrade() {
        return webSocketUpgrade;
    }

    /** Whether the target was in absolute-form; {@link #host()} then comes from it, not from Host. */
    public boolean absoluteForm() {
        return absoluteForm;
    }

    /** How many fields the parser left out (names with '_', unless the listener passes them). */
    public int droppedFields() {
        return droppedFields;
    }

    /** The host without port and trailing dot, lower-cased, for routing; {@code ""} if none. */
    public String host() {
        return host;
    }

    /**
     * The target's path (up to '?') for routing, normalised by {@link PathNormalizer}: dot segments
     * removed, unreserved characters decoded, slashes merged. Not what is forwarded: that is
     * {@link #target()}.
     */
    public String path() {
        return path;
    }

    @Override
    public String toString() {
        return method + " " + target() + " HTTP/1." + versionMinor;
    }
}
