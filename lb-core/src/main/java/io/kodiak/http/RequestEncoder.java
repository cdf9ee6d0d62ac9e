package io.kodiak.http;

/**
 * Writes the request head Kodiak sends upstream: the request line and fields as received (byte
 * for byte), minus hop-by-hop fields, plus the forwarding fields and Kodiak's own framing.
 */
public final class RequestEncoder {
    private RequestEncoder() {
    }

    /**
     * @param bodyLength  the body Kodiak will send: {@link RequestHead#CHUNKED} or a byte count
     * @param clientIp    the client's address literal (no port)
     * @param scheme      "http" or "https", the listener's scheme
     */
    public static Bytes encode(RequestHead r, Forwarding fwd, String clientIp, String scheme, long bodyLength) {
        return encode(r, fwd, clientIp, scheme, bodyLength, null, null, 0);
    }

    /**
     * @param idHeaderLower the request ID field's name in lower case, or {@code null} for none: every
     *                      client field of that name is replaced by {@code idField}
     * @param idField       the request ID's field line, e.g. {@code X-Request-ID: 4bf9...}
     * @param requestStartMicros when the head was read, in microseconds since the Unix epoch, sent as
     *                      {@code X-Request-Start: t=...} in place of any the client sent; 0 for none
     */
    public static Bytes encode(RequestHead r, Forwarding fwd, String clientIp, String scheme, long bodyLength,
                               String idHeaderLower, String idField, long requestStartMicros) {
        return encode(r, fwd, clientIp, scheme, bodyLength, idHeaderLower, idField, requestStartMicros, null);
    }

    /**
     * @param edits the request filters' changes to the fields, or {@code null}: removed fields are
     *              not copied, added ones follow the client's (a Host set here replaces the client's;
     *              Host is never removed, and X-Forwarded-Host and Forwarded still report the client's)
     */
    public static Bytes encode(RequestHead r, Forwarding fwd, String clientIp, String scheme, long bodyLength,
                               String idHeaderLower, String idField, long requestStartMicros, FieldEdits edits) {
        return encode(r, fwd, clientIp, scheme, bodyLength, idHeaderLower, idField, requestStartMicros, edits, 0);
    }

    /** @param port the port the client connected to, for {@code X-Forwarded-Port}; 0 if unknown (none is sent) */
    public static Bytes encode(RequestHead r, Forwarding fwd, String clientIp, String scheme, long bodyLength,
                               String idHeaderLower, String idField, long requestStartMicros, FieldEdits edits, int port) {
        return encode(r, fwd, clientIp, scheme, bodyLength, idHeaderLower, idField, requestStartMicros, edits, port,
                null, null);
    }

    /**
     * @param target a rewritten origin-form target to send instead of the client's, or null
     * @param host   a rewritten {@code Host} to send instead of the client's (and of one in
     *               {@code edits}), or null; {@code X-Forwarded-Host} and {@code Forwarded} still
     *               report the client's
     */
    public static Bytes encode(RequestHead r, Forwarding fwd, String clientIp, String scheme, long bodyLength,
                               String idHeaderLower, String idField, long requestStartMicros, FieldEdits edits, int port,
                               String target, String host) {
        HeaderFields f = r.fields;
        byte[] b = r.head;
        // Room for what is added (X-Request-ID, X-Request-Start, X-Forwarded-*, Forwarded: some
        // 200 bytes with the defaults), so that the head is not copied into a bigger array on the way.
        Bytes out = new Bytes(b.length + 256);
        if (target != null) {
            out.append(r.method).append(" ").append(target);
        } else if (r.absoluteForm) {
            // Forward origin-form: the method, then the path and query of the absolute target.
            out.append(r.method).append(" ");
            if (r.targetStart == r.targetEnd && "OPTIONS".equals(r.method)) {
                out.append("*"); // RFC 9112 §3.2.4: OPTIONS of a bare authority means the server itself
            } else {
                if (r.targetStart == r.targetEnd || b[r.targetStart] != '/') {
                    out.append("/");
                }
                out.append(b, r.targetStart, r.targetEnd);
            }
        } else {
            out.append(b, 0, r.targetEnd); // method SP target, byte for byte
        }
        out.append(" HTTP/1.1").crlf();

        String xff = null;
        String fwdExisting = null;
        // X-Forwarded-Host and Forwarded's host= report the client's Host (for an absolute-form
        // request, the target's authority), never one a rewrite or a header rule set for upstream.
        String hostValue = null;
        String editedHost = edits == null ? null : edits.added("host");
        // Host is replaced (by a rewrite, the target's authority or a rule), never just removed:
        // an HTTP/1.1 request needs one.
        boolean replaceHost = host != null || r.absoluteForm || editedHost != null;
        for (int i = 0; i < f.size(); i++) {
            if (f.nameIs(i, "host")) {
                hostValue = f.value(i);
                if (!replaceHost) {
                    out.append(b, f.nameStart(i), f.valueEnd(i)).crlf();
                }
                continue;
            }
            if (Hop.isHopByHop(f, i) || Hop.droppedByConnection(f, i) || f.nameIs(i, "expect")
                    || (idHeaderLower != null && f.nameIs(i, idHeaderLower))
                    || (requestStartMicros != 0 && f.nameIs(i, "x-request-start"))
                    || (edits != null && edits.removes(f, i))) {
                continue;
            }
            if (fwd.xForwardedFor() && f.nameIs(i, "x-forwarded-for")) {
                xff = xff == null ? f.value(i) : xff + ", " + f.value(i);
                continue;
            } else if (fwd.forwarded() && f.nameIs(i, "forwarded")) {
                fwdExisting = fwdExisting == null ? f.value(i) : fwdExisting + ", " + f.value(i);
                continue;
            } else if ((fwd.xForwardedProto() && f.nameIs(i, "x-forwarded-proto"))
                    || (fwd.xForwardedHost() && f.nameIs(i, "x-forwarded-host"))
                    || (fwd.xForwardedPort() && f.nameIs(i, "x-forwarded-port"))) {
                continue;
            }
            out.append(b, f.nameStart(i), f.valueEnd(i)).crlf();
        }
        if (r.absoluteForm) {
            hostValue = authorityOf(r);
        }
        // A Host a rule set (editedHost) is written with the other edits below.
        if (host != null) {
            out.field("Host", host);
        } else if (editedHost == null && r.absoluteForm) {
            out.field("Host", hostValue);
        } else if (editedHost == null && hostValue == null) {
            // An HTTP/1.0 client may omit Host, but what goes upstream is HTTP/1.1, which must
            // carry one; with no authority known it is empty (RFC 9112 §3.2).
            out.append("Host:").crlf();
        }
        if (r.webSocketUpgrade) {
            // Only the websocket token goes upstream: "Upgrade: websocket, h2c" (or a second
            // Upgrade field) must not let an h2c-capable origin switch the tunnel to HTTP/2, whose
            // streams would then bypass Kodiak's routing (h2c smuggling).
            out.field("Connection", "upgrade");
            out.field("Upgrade", "websocket");
        }
        if (edits != null) {
            edits.appendTo(out);
        }
        if (idField != null) {
            out.append(idField).crlf();
        }
        if (requestStartMicros != 0) {
            out.append("X-Request-Start: t=").append(requestStartMicros).crlf();
        }
        if (fwd.xForwardedFor()) {
            out.field("X-Forwarded-For", xff == null ? clientIp : xff + ", " + clientIp);
        }
        if (fwd.xForwardedProto()) {
            out.field("X-Forwarded-Proto", scheme);
        }
        if (fwd.xForwardedPort() && port > 0) {
            out.append("X-Forwarded-Port: ").append(port).crlf();
        }
        // An empty Host (allowed when the target has no authority) is no host to report.
        boolean hasHost = hostValue != null && !hostValue.isEmpty();
        if (fwd.xForwardedHost() && hasHost) {
            out.field("X-Forwarded-Host", hostValue);
        }
        if (fwd.forwarded()) {
            String node = clientIp.indexOf(':') >= 0 ? "\"[" + clientIp + "]\"" : clientIp;
            // hostValue passed the Host byte check, so it holds no '"' or '\' to escape.
            String element = "for=" + node + ";proto=" + scheme + (hasHost ? ";host=\"" + hostValue + "\"" : "");
            out.field("Forwarded", fwdExisting == null ? element : fwdExisting + ", " + element);
        }
        if (bodyLength == RequestHead.CHUNKED) {
            out.field("Transfer-Encoding", "chunked");
        } else if (bodyLength > 0 || f.indexOf("content-length", 0) >= 0 || expectsBody(r.method)) {
            out.append("Content-Length: ").append(bodyLength).crlf();
        }
        return out.crlf();
    }

    private static String authorityOf(RequestHead r) {
        // parseTarget moved targetStart past the authority; recover it from the original target.
        byte[] b = r.head;
        int s = r.method.length() + 1;
        int p = s;
        while (p < r.targetStart && b[p] != ':') {
            p++;
        }
        p += 3; // "://"
        return new String(b, p, r.targetStart - p, java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    private static boolean expectsBody(String method) {
        return "POST".equals(method) || "PUT".equals(method) || "PATCH".equals(method);
    }
}
