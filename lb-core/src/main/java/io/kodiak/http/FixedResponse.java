package io.kodiak.http;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * An answer that is the same for every request (nginx {@code return 200 "text"}, HAProxy
 * {@code http-request return}): everything but {@code Date}, {@code Server}, the echoed request ID
 * and {@code Connection} is encoded once, when the configuration is read, so that answering costs
 * one array for head and body and one write.
 *
 * <p>A 204 or 304 carries no body and no {@code Content-Length} (RFC 9110 §8.6); a 205 carries
 * no body either (§15.3.6), but says {@code Content-Length: 0}, since HTTP/1.1 framing does not
 * exempt it. A {@code Content-Type} is sent only with a body, or when it was given.
 *
 * <p>Immutable and thread-safe; the arrays are never handed out.
 */
public final class FixedResponse {
    private static final byte[] CLOSE = "Connection: close\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] KEEP_ALIVE = "Connection: keep-alive\r\n".getBytes(StandardCharsets.US_ASCII);
    private final int status;
    private final String contentType;
    private final byte[] body;
    private final List<Map.Entry<String, String>> headers;
    /** {@code HTTP/1.1 200 OK CRLF}. */
    private final byte[] statusLine;
    /** {@code Content-Type}, the configured fields and {@code Content-Length}, each with its CRLF. */
    private final byte[] fields;

    /**
     * @param contentType sent with a body; null for none
     * @param headers     more fields, checked as {@link FieldEdits} checks them (no framing fields,
     *                    no CR or LF)
     * @throws IllegalArgumentException for a status outside 200-599, a body on a 204 or 304, or
     *                                  a field that cannot be sent
     */
    public FixedResponse(int status, String contentType, byte[] body, List<Map.Entry<String, String>> headers) {
        if (status < 200 || status > 599) {
            throw new IllegalArgumentException("status " + status + " is not a final status (200-599)");
        }
        boolean bodiless = status == 204 || status == 304;
        if ((bodiless || status == 205) && body.length > 0) {
            throw new IllegalArgumentException("a " + status + " carries no body");
        }
        this.status = status;
        this.contentType = contentType;
        this.body = body.clone();
        this.headers = List.copyOf(headers);
        FieldEdits check = new FieldEdits();
        Bytes f = new Bytes(128);
        if (contentType != null && (body.length > 0 || !bodiless)) {
            check.add("Content-Type", contentType);
            f.field("Content-Type", contentType);
        }
        for (Map.Entry<String, String> h : this.headers) {
            check.add(h.getKey(), h.getValue()); // throws for a framing field or a bad value
            f.field(h.getKey(), h.getValue());
        }
        if (!bodiless) {
            f.append("Content-Length: ").append(body.length).crlf();
        }
        this.fields = f.toArray();
        this.statusLine = ("HTTP/1.1 " + status + " " + ResponseEncoder.reason(status) + "\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    public int status() {
        return status;
    }

    /** The body's length (what a HEAD answer's {@code Content-Length} says too). */
    public int bodyLength() {
        return body.length;
    }

    /**
     * The whole answer: head, and the body unless {@code headRequest}, in one array of
     * {@link Bytes#length()} bytes. In the order of {@link ResponseEncoder#local}'s answers.
     *
     * @param extraField field lines of Kodiak's own (the echoed request ID), CRLF-separated, or null
     */
    public Bytes encode(ServerField server, boolean keepAlive, String extraField, boolean headRequest) {
        return encode(server, keepAlive, 1, extraField, headRequest);
    }

    /**
     * @param clientMinor the request's HTTP minor version: an HTTP/1.0 client whose connection
     *                    stays open gets {@code Connection: keep-alive}, as a proxied answer does
     */
    public Bytes encode(ServerField server, boolean keepAlive, int clientMinor, String extraField, boolean headRequest) {
        byte[] date = HttpDate.SYSTEM.fieldLine();
        byte[] connection = !keepAlive ? CLOSE : clientMinor == 0 ? KEEP_ALIVE : null;
        int n = statusLine.length + date.length + fields.length + 2 + (headRequest ? 0 : body.length);
        if (server.setsOwn()) {
            n += server.value().length() + 10;
        }
        if (extraField != null) {
            n += extraField.length() + 2;
        }
        if (connection != null) {
            n += connection.length;
        }
        Bytes out = new Bytes(n);
        out.append(statusLine, 0, statusLine.length).append(date, 0, date.length);
        if (server.setsOwn()) {
            out.field("Server", server.value());
        }
        out.append(fields, 0, fields.length);
        if (extraField != null) {
            out.append(extraField).crlf();
        }
        if (connection != null) {
            out.append(connection, 0, connection.length);
        }
        out.crlf();
        if (!headRequest) {
            out.append(body, 0, body.length);
        }
        return out;
    }

    /** The answer as {@code RequestContext.respond(status, type, body, fields)} takes it. */
    public String contentType() {
        return contentType == null ? "application/octet-stream" : contentType;
    }

    /** A copy of the body. */
    public byte[] body() {
        return body.clone();
    }

    /** The configured fields, as edits (a new object each call). */
    public FieldEdits fieldEdits() {
        FieldEdits e = new FieldEdits();
        for (Map.Entry<String, String> h : headers) {
            e.add(h.getKey(), h.getValue());
        }
        return e;
    }

    @Override
    public String toString() {
        return "FixedResponse[" + status + ", " + contentType + ", " + body.length + " bytes, " + headers.size() + " fields]";
    }
}
