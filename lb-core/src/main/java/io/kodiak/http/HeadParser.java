package io.kodiak.http;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Strict HTTP/1.1 head parsing (RFC 9112). Everything that two parsers could read differently is
 * rejected rather than repaired, because Kodiak sits between a client and an upstream whose
 * parser is not ours: that disagreement is what request smuggling exploits. Requests fail with
 * 400 (and 414/431/501/505 where RFC 9110 says so); upstream responses fail with 502.
 */
public final class HeadParser {
    private HeadParser() {
    }

    /**
     * Parses a complete request head as returned by {@link HeadReader}, dropping fields whose name
     * holds an underscore (the listener default).
     *
     * @param maxFields most fields allowed (431 beyond)
     */
    public static RequestHead parseRequest(byte[] head, int maxFields) throws HttpException {
        return parseRequest(head, maxFields, false);
    }

    /**
     * Parses a complete request head as returned by {@link HeadReader}.
     *
     * @param maxFields        most fields allowed (431 beyond); dropped fields count too, as the
     *                         client sent them
     * @param passUnderscores  keep fields whose name holds '_'. When false they are dropped here,
     *                         before anything reads the fields, so neither Kodiak (Host, framing,
     *                         hash keys) nor the upstream sees them: CGI and WSGI map '-' and '_'
     *                         to the same environ key, so {@code X_Forwarded_For} would merge with
     *                         the {@code X-Forwarded-For} Kodiak sets (nginx
     *                         {@code underscores_in_headers off}). {@link RequestHead#droppedFields()}
     *                         counts them.
     */
    public static RequestHead parseRequest(byte[] head, int maxFields, boolean passUnderscores) throws HttpException {
        RequestHead r = new RequestHead(head);
        int p = parseRequestLine(r, head);
        r.droppedFields = parseFields(head, p, r.fields, maxFields, 400, 431, !passUnderscores);
        checkRequestSemantics(r);
        return r;
    }

    /**
     * Parses a complete upstream response head.
     *
     * @param headRequest whether the request was HEAD (its response has no body whatever it says)
     */
    public static ResponseHead parseResponse(byte[] head, boolean headRequest) throws HttpException {
        ResponseHead r = new ResponseHead(head);
        int p = parseStatusLine(r, head);
        parseFields(head, p, r.fields, 1000, 502, 502, false);
        checkResponseSemantics(r, headRequest);
        return r;
    }

    // ------------------------------------------------------------------ start lines

    private static int parseRequestLine(RequestHead r, byte[] b) throws HttpException {
        int eol = lineEnd(b, 0, 400);
        int p = 0;
        while (p < eol && Chars.isTchar(b[p])) {
            p++;
        }
        if (p == 0 || p >= eol || b[p] != ' ') {
            throw new HttpException(400, "malformed request line: bad method");
        }
        r.method = new String(b, 0, p, StandardCharsets.US_ASCII);
        r.targetStart = ++p;
        while (p < eol && b[p] != ' ') {
            if (!Chars.isTarget(b[p])) {
                throw new HttpException(400, "malformed request line: invalid byte in target");
            }
            p++;
        }
        r.targetEnd = p;
        if (r.targetEnd == r.targetStart || p >= eol) {
            throw new HttpException(400, "malformed request line: missing target or version");
        }
        p++;
        r.versionMinor = parseVersion(b, p, eol, 400);
        if (p + 8 != contentEnd(b, eol)) {
            throw new HttpException(400, "malformed request line: junk after version");
        }
        return eol + 1;
    }

    private static int parseStatusLine(ResponseHead r, byte[] b) throws HttpException {
        int eol = lineEnd(b, 0, 502);
        int end = contentEnd(b, eol);
        r.versionMinor = parseVersion(b, 0, end, 502);
        int p = 8;
        if (end < p + 4 || b[p] != ' ') {
            throw new HttpException(502, "malformed status line");
        }
        int status = 0;
        for (int i = p + 1; i < p + 4; i++) {
            if (b[i] < '0' || b[i] > '9') {
                throw new HttpException(502, "malformed status code");
            }
            status = status * 10 + (b[i] - '0');
        }
        if (status < 100 || status > 599) {
            throw new HttpException(502, "status code out of range: " + status);
        }
        r.status = status;
        p += 4;
        if (p < end && b[p] != ' ') {
            throw new HttpException(502, "malformed status line after code");
        }
        r.reasonStart = Math.min(p + 1, end);
        r.reasonEnd = end;
        for (int i = r.reasonStart; i < end; i++) {
            if (!Chars.isFieldValue(b[i])) {
                throw new HttpException(502, "invalid byte in reason phrase");
            }
        }
        return eol + 1;
    }

    /** "HTTP/1.x": returns x (0 or 1); HTTP/1.2+ is treated as 1.1 (RFC 9110 §2.5). */
    private static int parseVersion(byte[] b, int p, int limit, int status) throws HttpException {
        if (limit - p < 8 || b[p] != 'H' || b[p + 1] != 'T' || b[p + 2] != 'T' || b[p + 3] != 'P'
                || b[p + 4] != '/' || b[p + 6] != '.' || !digit(b[p + 5]) || !digit(b[p + 7])) {
            throw new HttpException(status, "malformed HTTP version");
        }
        if (b[p + 5] != '1') {
            throw new HttpException(status == 400 ? 505 : status, "unsupported HTTP version");
        }
        return b[p + 7] == '0' ? 0 : 1;
    }

    // ------------------------------------------------------------------ fields

    /**
     * @param dropUnderscores leave out fields whose name holds '_' (after checking their syntax:
     *                        a malformed line is rejected whatever its name)
     * @return how many fields were left out
     */
    private static int parseFields(byte[] b, int p, HeaderFields fields, int maxFields, int bad, int tooMany,
                                   boolean dropUnderscores) throws HttpException {
        int dropped = 0;
        while (true) {
            int eol = lineEnd(b, p, bad);
            int end = contentEnd(b, eol);
            if (end == p) {
                return dropped; // the empty line
            }
            if (b[p] == ' ' || b[p] == '\t') {
                throw new HttpException(bad, "obsolete line folding");
            }
            int n = p;
            boolean underscore = false;
            while (n < end && Chars.isTchar(b[n])) {
                underscore |= b[n] == '_';
                n++;
            }
            if (n == p || n == end || b[n] != ':') {
                throw new HttpException(bad, n < end && (b[n] == ' ' || b[n] == '\t')
                        ? "whitespace before colon in field name" : "invalid field name");
            }
            int v = n + 1;
            while (v < end && (b[v] == ' ' || b[v] == '\t')) {
                v++;
            }
            int ve = end;
            while (ve > v && (b[ve - 1] == ' ' || b[ve - 1] == '\t')) {
                ve--;
            }
            for (int i = v; i < ve; i++) {
                if (!Chars.isFieldValue(b[i])) {
                    throw new HttpException(bad, "invalid byte in field value");
                }
            }
            if (fields.size() + dropped >= maxFields) {
                throw new HttpException(tooMany, "too many header fields");
            }
            if (underscore && dropUnderscores) {
                dropped++;
            } else {
                fields.add(p, n, v, ve);
            }
            p = eol + 1;
        }
    }

    /** @return the index of the LF ending the line at {@code p}; a CR anywhere but before LF is an error */
    private static int lineEnd(byte[] b, int p, int status) throws HttpException {
        for (int i = p; i < b.length; i++) {
            byte c = b[i];
            if (c == '\n') {
                return i;
            }
            if (c == '\r' && (i + 1 >= b.length || b[i + 1] != '\n')) {
                throw new HttpException(status, "bare CR");
            }
            if (c == 0) {
                throw new HttpException(status, "NUL byte in head");
            }
        }
        throw new HttpException(status, "unterminated line");
    }

    /** The end of the line's content: before the CR of a CRLF, or at the LF. */
    private static int contentEnd(byte[] b, int eol) {
        return eol > 0 && b[eol - 1] == '\r' ? eol - 1 : eol;
    }

    // ------------------------------------------------------------------ semantics

    private static void checkRequestSemantics(RequestHead r) throws HttpException {
        if ("CONNECT".equals(r.method)) {
            // Kodiak is no forward proxy: whatever else the request says, the method is refused.
            throw new HttpException(405, "CONNECT is not supported");
        }
        HeaderFields f = r.fields;
        byte[] b = r.head;
        int hosts = f.count("host");
        if (hosts > 1) {
            throw new HttpException(400, "duplicate Host");
        }
        if (hosts == 0 && r.versionMinor == 1) {
            throw new HttpException(400, "missing Host");
        }
        String hostValue = null;
        if (hosts == 1) {
            int i = f.indexOf("host", 0);
            for (int k = f.valueStart(i); k < f.valueEnd(i); k++) {
                if (!Chars.isHost(b[k])) {
                    throw new HttpException(400, "invalid Host");
                }
            }
            hostValue = f.value(i);
        }
        parseTarget(r, hostValue);

        boolean te = f.indexOf("transfer-encoding", 0) >= 0;
        long cl = FramingFields.contentLength(f, 400);
        if (te) {
            if (cl >= 0) {
                throw new HttpException(400, "both Content-Length and Transfer-Encoding");
            }
            if (r.versionMinor == 0) {
                throw new HttpException(400, "Transfer-Encoding in an HTTP/1.0 request");
            }
            FramingFields.checkChunkedOnly(f, 400);
            r.contentLength = RequestHead.CHUNKED;
        } else {
            r.contentLength = cl < 0 ? RequestHead.NO_BODY : cl;
        }

        boolean close = f.hasToken("connection", "close");
        r.keepAlive = r.versionMinor == 1 ? !close : !close && f.hasToken("connection", "keep-alive");

        int e = f.indexOf("expect", 0);
        if (e >= 0) {
            if (f.count("expect") > 1 || !"100-continue".equalsIgnoreCase(f.value(e))) {
                throw new HttpException(417, "unsupported expectation");
            }
            r.expectContinue = r.versionMinor == 1;
        }
        r.webSocketUpgrade = "GET".equals(r.method) && r.versionMinor == 1
                && f.hasToken("connection", "upgrade") && f.hasToken("upgrade", "websocket");
        if (r.webSocketUpgrade && (te || cl > 0)) {
            // A handshake has no body. Forwarding one unread would leave its bytes on the client
            // connection to be parsed as the next request when the upstream refuses the upgrade
            // (request smuggling past any front proxy that reuses connections); refusing is
            // simpler and safer than framing a body no WebSocket server reads.
            throw new HttpException(400, "upgrade request with a body");
        }
    }

    private static void parseTarget(RequestHead r, String hostValue) throws HttpException {
        byte[] b = r.head;
        int s = r.targetStart;
        int e = r.targetEnd;
        String authority = hostValue;
        if (b[s] == '/') {
            r.path = pathOf(b, s, e);
        } else if (e - s == 1 && b[s] == '*') {
            if (!"OPTIONS".equals(r.method)) {
                throw new HttpException(400, "asterisk-form is only for OPTIONS");
            }
            r.path = "*";
        } else {
            String t = new String(b, s, e - s, StandardCharsets.ISO_8859_1);
            String lower = t.toLowerCase(Locale.ROOT);
            int schemeEnd = lower.startsWith("http://") ? 7 : lower.startsWith("https://") ? 8 : -1;
            if (schemeEnd < 0) {
                throw new HttpException(400, "malformed request target");
            }
            int slash = t.indexOf('/', schemeEnd);
            int auth = slash < 0 ? t.length() : slash;
            int query = t.indexOf('?', schemeEnd);
            if (query >= 0 && query < auth) {
                auth = query;
            }
            authority = t.substring(schemeEnd, auth);
            // The authority becomes the Host sent upstream and a quoted Forwarded host, so it
            // gets the same byte check as a Host field; userinfo ('@') is not allowed in http(s).
            if (authority.isEmpty()) {
                throw new HttpException(400, "malformed authority in request target");
            }
            for (int k = s + schemeEnd; k < s + auth; k++) {
                if (!Chars.isHost(b[k])) {
                    throw new HttpException(400, "malformed authority in request target");
                }
            }
            r.absoluteForm = true;
            r.targetStart = s + auth;
            r.path = slash == auth ? pathOf(b, s + auth, e) : "/";
        }
        r.host = authority == null ? "" : routingHost(authority);
    }

    /**
     * The authority as routes see it: without port, lower-cased, and without one trailing dot.
     * {@code example.com.} is the same DNS name as {@code example.com} (its fully qualified form),
     * which nginx and Django route alike; keeping the dot would let a request skip the routes of
     * its host (a deny route among them). The Host sent upstream keeps the client's bytes.
     *
     * @throws HttpException 400 for a name with an empty label ({@code a..b}, {@code .a},
     *                       {@code a.com..}), as nginx answers: no DNS name is written so, and
     *                       stripping dots until one fits would only move the way around a route
     */
    static String routingHost(String authority) throws HttpException {
        String h = stripPort(authority).toLowerCase(Locale.ROOT);
        if (!h.startsWith("[") && (h.startsWith(".") || h.contains(".."))) {
            throw new HttpException(400, "host name with an empty label");
        }
        return h.length() > 1 && h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
    }

    /** The path routes compare with: the target up to '?', normalised (the target itself is forwarded as is). */
    private static String pathOf(byte[] b, int s, int e) throws HttpException {
        int q = s;
        while (q < e && b[q] != '?') {
            q++;
        }
        return PathNormalizer.normalize(new String(b, s, q - s, StandardCharsets.ISO_8859_1));
    }

    static String stripPort(String authority) {
        if (authority.startsWith("[")) {
            int close = authority.indexOf(']');
            return close < 0 ? authority : authority.substring(0, close + 1);
        }
        int colon = authority.lastIndexOf(':');
        return colon < 0 ? authority : authority.substring(0, colon);
    }

    private static void checkResponseSemantics(ResponseHead r, boolean headRequest) throws HttpException {
        HeaderFields f = r.fields;
        boolean te = f.indexOf("transfer-encoding", 0) >= 0;
        long cl = FramingFields.contentLength(f, 502);
        r.declaredLength = cl;
        boolean close = f.hasToken("connection", "close");
        r.keepAlive = r.versionMinor == 1 ? !close : !close && f.hasToken("connection", "keep-alive");
        int s = r.status;
        if (headRequest || (s >= 100 && s < 200) || s == 204 || s == 304) {
            r.framing = ResponseHead.Framing.NONE;
            return;
        }
        if (te) {
            if (cl >= 0) {
                throw new HttpException(502, "both Content-Length and Transfer-Encoding");
            }
            if (r.versionMinor == 0) {
                // RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0 means the framing is faulty.
                throw new HttpException(502, "Transfer-Encoding in an HTTP/1.0 response");
            }
            FramingFields.checkChunkedOnly(f, 502);
            r.framing = ResponseHead.Framing.CHUNKED;
        } else if (cl >= 0) {
            r.framing = ResponseHead.Framing.LENGTH;
            r.contentLength = cl;
        } else {
            r.framing = ResponseHead.Framing.CLOSE;
            r.keepAlive = false;
        }
    }

    private static boolean digit(byte c) {
        return c >= '0' && c <= '9';
    }
}
