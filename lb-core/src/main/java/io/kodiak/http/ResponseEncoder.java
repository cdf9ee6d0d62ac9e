package io.kodiak.http;

/**
 * Writes the response head Kodiak sends to the client: status line and end-to-end fields from
 * the upstream, the {@code Server} field by policy, and Kodiak's own framing and connection
 * fields. Every final response carries a {@code Date} ({@link HttpDate}).
 */
public final class ResponseEncoder {
    /** How the body goes to the client. */
    public enum ClientFraming { NONE, LENGTH, CHUNKED, CLOSE }

    private ResponseEncoder() {
    }

    /**
     * @param framing       how Kodiak frames the body towards the client
     * @param length        the body length for {@link ClientFraming#LENGTH}
     * @param keepAlive     whether the client connection stays open after this response
     * @param clientMinor   the client's HTTP minor version (an HTTP/1.0 client needs an explicit keep-alive)
     * @param upgrade       relay a 101 WebSocket upgrade: send Upgrade: websocket and Connection: upgrade
     */
    public static Bytes encode(ResponseHead r, ServerField server, ClientFraming framing, long length,
                               boolean keepAlive, int clientMinor, boolean upgrade) {
        return encode(r, server, framing, length, keepAlive, clientMinor, upgrade, null, null);
    }

    /**
     * @param ownFieldLower the lower-case name of a field Kodiak sets itself (the echoed request ID):
     *                      the upstream's fields of that name are dropped; {@code null} for none
     * @param ownField      that field's line, e.g. {@code X-Request-ID: 4bf9...}
     */
    public static Bytes encode(ResponseHead r, ServerField server, ClientFraming framing, long length,
                               boolean keepAlive, int clientMinor, boolean upgrade, String ownFieldLower,
                               String ownField) {
        return encode(r, server, framing, length, keepAlive, clientMinor, upgrade, ownFieldLower, ownField, null);
    }

    /**
     * @param edits the response filters' changes to the fields, or {@code null}: removed fields
     *              are not copied, added ones follow the upstream's
     */
    public static Bytes encode(ResponseHead r, ServerField server, ClientFraming framing, long length,
                               boolean keepAlive, int clientMinor, boolean upgrade, String ownFieldLower,
                               String ownField, FieldEdits edits) {
        HeaderFields f = r.fields;
        byte[] b = r.head;
        // Room for what is added (framing, Connection, an echoed request ID), so no copy on the way.
        Bytes out = new Bytes(b.length + 192);
        // status-line = HTTP-version SP status-code SP [ reason-phrase ]: the second SP stays
        // even when the upstream sent none.
        out.append("HTTP/1.1 ").append(b, 9, 12).append(" ").append(b, r.reasonStart, r.reasonEnd).crlf();
        boolean hasDate = false;
        for (int i = 0; i < f.size(); i++) {
            if (f.nameIs(i, "content-length")) {
                continue;
            }
            if (Hop.isHopByHop(f, i) || Hop.droppedByConnection(f, i)) {
                continue;
            }
            if (!server.passesUpstream() && f.nameIs(i, "server")) {
                continue;
            }
            if (ownFieldLower != null && f.nameIs(i, ownFieldLower)) {
                continue;
            }
            if (edits != null && edits.removes(f, i)) {
                continue;
            }
            hasDate = hasDate || f.nameIs(i, "date");
            out.append(b, f.nameStart(i), f.valueEnd(i)).crlf();
        }
        // The upstream's Date passes unchanged: it says when the response was made, as HAProxy
        // relays it. One without Date gets Kodiak's, as RFC 9110 §6.6.1 asks of a recipient with
        // a clock that forwards it; so, as behind nginx (which always sends its own), every final
        // response has one. A 101 is interim and a tunnel's head, and an origin need not date it.
        hasDate = hasDate || (edits != null && edits.added("date") != null);
        if (!hasDate && r.status >= 200) {
            byte[] date = HttpDate.SYSTEM.fieldLine();
            out.append(date, 0, date.length);
        }
        // A filter's Server, or its request-ID field, replaces Kodiak's: never two of either.
        if (server.setsOwn() && (edits == null || edits.added("server") == null)) {
            out.field("Server", server.value());
        }
        if (edits != null) {
            edits.appendTo(out);
        }
        if (ownField != null && (edits == null || edits.added(ownFieldLower) == null)) {
            out.append(ownField).crlf();
        }
        switch (framing) {
            case NONE -> {
                // HEAD and 304 keep the length the upstream declared, as one canonical field
                // even if it came as "5, 5" or repeated; 1xx and 204 never carry one.
                long declared = edits != null && edits.declaredLength() >= 0 ? edits.declaredLength() : r.declaredLength;
                if (r.status >= 200 && r.status != 204 && declared >= 0) {
                    out.append("Content-Length: ").append(declared).crlf();
                }
            }
            case LENGTH -> out.append("Content-Length: ").append(length).crlf();
            case CHUNKED -> out.field("Transfer-Encoding", "chunked");
            default -> { }
        }
        if (upgrade) {
            // The upstream's Upgrade said exactly websocket (ResponseHead#upgradesToWebSocket).
            out.field("Connection", "upgrade");
            out.field("Upgrade", "websocket");
        } else if (!keepAlive) {
            out.field("Connection", "close");
        } else if (clientMinor == 0) {
            out.field("Connection", "keep-alive");
        }
        return out.crlf();
    }

    /**
     * A response of Kodiak's own (errors, the error page): dated, and never reveals Kodiak unless
     * the policy sets a Server value.
     *
     * @param extraField field lines of Kodiak's own ({@code Retry-After}, the echoed request ID),
     *                   CRLF-separated, or {@code null}
     */
    public static Bytes local(int status, String contentType, int bodyLength, ServerField server,
                              boolean keepAlive, String extraField) {
        return local(status, contentType, bodyLength, server, keepAlive, 1, extraField);
    }

    /**
     * @param clientMinor the request's HTTP minor version: an HTTP/1.0 client whose connection
     *                    stays open is told so ({@code Connection: keep-alive}), as a proxied answer tells it
     */
    public static Bytes local(int status, String contentType, int bodyLength, ServerField server,
                              boolean keepAlive, int clientMinor, String extraField) {
        Bytes out = new Bytes(160);
        out.append("HTTP/1.1 ").append(status).append(" ").append(reason(status)).crlf();
        byte[] date = HttpDate.SYSTEM.fieldLine();
        out.append(date, 0, date.length);
        if (server.setsOwn()) {
            out.field("Server", server.value());
        }
        if (bodyLength > 0) {
            out.field("Content-Type", contentType);
        }
        out.append("Content-Length: ").append(bodyLength).crlf();
        if (extraField != null) {
            out.append(extraField).crlf();
        }
        if (!keepAlive) {
            out.field("Connection", "close");
        } else if (clientMinor == 0) {
            out.field("Connection", "keep-alive");
        }
        return out.crlf();
    }

    /** The reason phrase of {@code status}: RFC 9110 §15's list (plus 429 and 431 of RFC 6585, 451 of RFC 7725). */
    public static String reason(int status) {
        return switch (status) {
            case 100 -> "Continue";
            case 101 -> "Switching Protocols";
            case 200 -> "OK";
            case 201 -> "Created";
            case 202 -> "Accepted";
            case 203 -> "Non-Authoritative Information";
            case 204 -> "No Content";
            case 205 -> "Reset Content";
            case 206 -> "Partial Content";
            case 300 -> "Multiple Choices";
            case 301 -> "Moved Permanently";
            case 302 -> "Found";
            case 303 -> "See Other";
            case 304 -> "Not Modified";
            case 305 -> "Use Proxy";
            case 307 -> "Temporary Redirect";
            case 308 -> "Permanent Redirect";
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 402 -> "Payment Required";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 406 -> "Not Acceptable";
            case 407 -> "Proxy Authentication Required";
            case 408 -> "Request Timeout";
            case 409 -> "Conflict";
            case 410 -> "Gone";
            case 411 -> "Length Required";
            case 412 -> "Precondition Failed";
            case 413 -> "Content Too Large";
            case 414 -> "URI Too Long";
            case 415 -> "Unsupported Media Type";
            case 416 -> "Range Not Satisfiable";
            case 417 -> "Expectation Failed";
            case 421 -> "Misdirected Request";
            case 422 -> "Unprocessable Content";
            case 426 -> "Upgrade Required";
            case 429 -> "Too Many Requests";
            case 431 -> "Request Header Fields Too Large";
            case 451 -> "Unavailable For Legal Reasons";
            case 500 -> "Internal Server Error";
            case 501 -> "Not Implemented";
            case 502 -> "Bad Gateway";
            case 503 -> "Service Unavailable";
            case 504 -> "Gateway Timeout";
            case 505 -> "HTTP Version Not Supported";
            default -> "Error";
        };
    }
}
