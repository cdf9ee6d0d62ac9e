package io.kodiak.testing;

import java.nio.charset.StandardCharsets;

/**
 * One response as a {@link RawClient} read it off the wire.
 *
 * @param version  protocol version of the status line, e.g. {@code HTTP/1.1}
 * @param status   status code
 * @param reason   reason phrase, possibly empty
 * @param headers  header fields in wire order, duplicates kept
 * @param rawHead  the exact head bytes, status line through the empty line
 * @param framing  how the body length was determined
 * @param body     the decoded body (chunk framing removed)
 * @param trailers trailer fields of a chunked body, else empty
 */
public record RawResponse(String version, int status, String reason, HeaderFields headers, byte[] rawHead,
                          BodyFraming framing, CapturedBody body, HeaderFields trailers) {

    /** First value of header {@code name}, or {@code null}. */
    public String header(String name) {
        return headers.first(name);
    }

    /** The body as UTF-8 (throws if it exceeded the client's capture limit). */
    public String bodyString() {
        return body.utf8();
    }

    /** The head decoded as ISO-8859-1. */
    public String rawHeadString() {
        return new String(rawHead, StandardCharsets.ISO_8859_1);
    }

    @Override
    public byte[] rawHead() {
        return rawHead.clone();
    }

    @Override
    public String toString() {
        return "RawResponse[" + version + " " + status + " " + reason + ", " + headers.size() + " headers, body="
                + body.length() + " bytes (" + framing + ")]";
    }
}
