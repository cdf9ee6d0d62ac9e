package io.kodiak.testing;

import java.nio.charset.StandardCharsets;

/**
 * One request as a {@link ScriptedUpstream} received it.
 *
 * @param connectionId      the upstream's id for the connection it came on (1, 2, ... in accept order)
 * @param indexOnConnection 0 for the first request on its connection, 1 for the next (keep-alive reuse)
 * @param sequence          0-based position among all requests this upstream received
 * @param method            request method, as sent
 * @param target            request target, as sent (path and query)
 * @param version           protocol version, e.g. {@code HTTP/1.1}
 * @param headers           header fields in wire order, duplicates kept
 * @param rawHead           the exact head bytes, request line through the empty line
 * @param framing           how the body length was given
 * @param body              the decoded body (chunk framing removed)
 * @param trailers          trailer fields of a chunked body, else empty
 */
public record RecordedRequest(int connectionId, int indexOnConnection, int sequence, String method,
                              String target, String version, HeaderFields headers, byte[] rawHead,
                              BodyFraming framing, CapturedBody body, HeaderFields trailers) {

    /** The target without its query. */
    public String path() {
        int q = target.indexOf('?');
        return q < 0 ? target : target.substring(0, q);
    }

    /** First value of header {@code name}, or {@code null}. */
    public String header(String name) {
        return headers.first(name);
    }

    /** The head decoded as ISO-8859-1, handy for exact assertions on the wire form. */
    public String rawHeadString() {
        return new String(rawHead, StandardCharsets.ISO_8859_1);
    }

    @Override
    public byte[] rawHead() {
        return rawHead.clone();
    }

    /** Whether the client asked to close the connection after this request (or is HTTP/1.0 without keep-alive). */
    boolean wantsClose() {
        if (headers.hasToken("Connection", "close")) {
            return true;
        }
        return "HTTP/1.0".equals(version) && !headers.hasToken("Connection", "keep-alive");
    }

    @Override
    public String toString() {
        return "RecordedRequest[conn=" + connectionId + "#" + indexOnConnection + " " + method + " " + target
                + " " + version + ", " + headers.size() + " headers, body=" + body.length() + " bytes ("
                + framing + ")]";
    }
}
