package io.kodiak.proxy;

import io.kodiak.http.Bytes;
import io.kodiak.http.FieldEdits;
import io.kodiak.http.RequestHead;
import io.kodiak.http.ResponseEncoder;
import io.kodiak.http.ResponseEncoder.ClientFraming;
import io.kodiak.http.ResponseHead;
import io.kodiak.http.ServerField;

/**
 * The response head phase's decision, made once when the upstream's head arrives: how the body is
 * framed for this client, whether the client connection stays open, and the head Kodiak sends.
 * No I/O, so it is tested on its own.
 *
 * @param framing     how the client gets the body
 * @param keepAlive   whether the client connection stays open after the response
 * @param encodedHead the response head for the client
 */
record ResponseFramingPlan(ClientFraming framing, boolean keepAlive, Bytes encodedHead) {

    boolean chunked() {
        return framing == ClientFraming.CHUNKED;
    }

    /**
     * @param keepAllowed whether everything but the framing allows keep-alive: the client asked for
     *                    it, its request was read whole, and Kodiak is not closing the connection
     * @param ownLower    the lower-case name of a field Kodiak sets itself (the echoed request ID), or null
     * @param ownField    that field's line, or null
     */
    static ResponseFramingPlan of(ResponseHead resp, RequestHead req, boolean keepAllowed, ServerField server,
                                  String ownLower, String ownField) {
        return of(resp, req, keepAllowed, server, ownLower, ownField, null, false);
    }

    /**
     * @param edits       the response filters' field edits, or null
     * @param transformed a filter rewrites the body, so its length is no longer known
     */
    static ResponseFramingPlan of(ResponseHead resp, RequestHead req, boolean keepAllowed, ServerField server,
                                  String ownLower, String ownField, FieldEdits edits, boolean transformed) {
        // A body with no length (chunked or until close) goes chunked to an HTTP/1.1 client,
        // which keeps the connection usable; an HTTP/1.0 client can only read to the close.
        ClientFraming unknownLength = req.versionMinor() == 1 ? ClientFraming.CHUNKED : ClientFraming.CLOSE;
        ClientFraming framing = switch (resp.framing()) {
            case NONE -> ClientFraming.NONE;
            case LENGTH -> transformed ? unknownLength : ClientFraming.LENGTH;
            case CHUNKED, CLOSE -> unknownLength;
        };
        boolean keepAlive = keepAllowed && req.keepAlive() && framing != ClientFraming.CLOSE;
        Bytes head = ResponseEncoder.encode(resp, server, framing, resp.contentLength(), keepAlive,
                req.versionMinor(), false, ownLower, ownField, edits);
        return new ResponseFramingPlan(framing, keepAlive, head);
    }
}
