package io.kodiak.filter;

import io.kodiak.http.FieldEdits;
import io.kodiak.http.RequestHead;
import io.kodiak.http.ResponseHead;

/** One response as a {@link ResponseFilter} sees it. Valid only during the call. */
public interface ResponseContext {
    /** The request it answers. */
    RequestHead request();

    /** The upstream's head; read-only. */
    ResponseHead head();

    /** Whether a body follows (not for HEAD, 204, 304). Only then may a transform be returned. */
    boolean hasBody();

    /** Changes to the fields sent to the client. */
    FieldEdits clientFields();

    /**
     * Field {@code lowerName} as it will go to the client so far: the upstream's value unless an
     * earlier filter removed or set it ({@link FieldEdits#valueAfter}); null when there is none.
     */
    default String field(String lowerName) {
        return head().fields().get(lowerName);
    }

    /** Whether field {@code lowerName}, as it will go to the client so far, lists {@code lowerToken}. */
    default boolean fieldHasToken(String lowerName, String lowerToken) {
        return head().fields().hasToken(lowerName, lowerToken);
    }

    /**
     * The body's length as the earlier filters leave it: the upstream's {@code Content-Length},
     * or the length of a body an earlier filter put in its place ({@link BodyTransform#length});
     * -1 when unknown (chunked, or rewritten by a transform of unknown output).
     */
    default long bodyLength() {
        return head().framing() == ResponseHead.Framing.LENGTH ? head().contentLength() : -1;
    }

    /** The client's IP address, as text. */
    default String clientAddress() {
        return "";
    }

    /** The request ID, as the request's {@link RequestContext#requestId()}. */
    /** The route the request took ({@link RequestContext#route()}), or null. */
    default String route() {
        return null;
    }

    /** The pool that answered, or null. */
    default String pool() {
        return null;
    }

    default String requestId() {
        return "";
    }

    /** "https" on a TLS listener, else "http". */
    default String scheme() {
        return "http";
    }

    /** The port the client connected to. */
    default int serverPort() {
        return 0;
    }

    /** The address of the upstream that answered, {@code 10.0.0.5:8000} (nginx's {@code $upstream_addr}), or null. */
    default String upstreamAddress() {
        return null;
    }

    /** The configured name of the upstream that answered, or null. */
    default String upstreamName() {
        return null;
    }
}
