package io.kodiak.http;

/** A parsed and validated upstream response head, with how its body is framed. */
public final class ResponseHead {
    /** Body framing: none, Content-Length, chunked, or delimited by the connection closing. */
    public enum Framing { NONE, LENGTH, CHUNKED, CLOSE }

    final byte[] head;
    final HeaderFields fields;
    int versionMinor;
    int status;
    int reasonStart;
    int reasonEnd;
    Framing framing;
    long contentLength = -1;
    /** The valid Content-Length the upstream declared, whatever the framing; -1 if none. */
    long declaredLength = -1;
    boolean keepAlive;

    ResponseHead(byte[] head) {
        this.head = head;
        this.fields = new HeaderFields(head);
    }

    public int status() {
        return status;
    }

    public HeaderFields fields() {
        return fields;
    }

    public byte[] bytes() {
        return head;
    }

    public int reasonStart() {
        return reasonStart;
    }

    public int reasonEnd() {
        return reasonEnd;
    }

    public Framing framing() {
        return framing;
    }

    /** The Content-Length for {@link Framing#LENGTH}, otherwise -1. */
    public long contentLength() {
        return contentLength;
    }

    /** Whether the upstream allows the connection to be reused after this response. */
    public boolean keepAlive() {
        return keepAlive;
    }

    /** An interim response (1xx other than 101), to be skipped. */
    public boolean isInterim() {
        return status >= 100 && status < 200 && status != 101;
    }

    /**
     * Whether a 101 switches to WebSocket and nothing else: exactly one Upgrade field whose value
     * is the single token {@code websocket} (RFC 6455 §4.1; case-insensitive). A proxy that asked
     * only for websocket must never tunnel another protocol, h2c above all.
     */
    public boolean upgradesToWebSocket() {
        if (fields.count("upgrade") != 1) {
            return false;
        }
        return "websocket".equalsIgnoreCase(fields.get("upgrade").trim());
    }

    @Override
    public String toString() {
        return "HTTP/1." + versionMinor + " " + status + " " + framing
                + (framing == Framing.LENGTH ? "(" + contentLength + ")" : "");
    }
}
