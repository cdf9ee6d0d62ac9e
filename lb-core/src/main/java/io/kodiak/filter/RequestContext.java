package io.kodiak.filter;

import io.kodiak.http.FieldEdits;
import io.kodiak.http.RequestHead;

/**
 * One request as a {@link RequestFilter} sees it. Valid only during the call.
 */
public interface RequestContext {
    /** The head as the client sent it (the path normalised); read-only. */
    RequestHead head();

    /** The client's IP address, as text. */
    String clientAddress();

    /** "https" on a TLS listener, else "http". */
    default String scheme() {
        return "http";
    }

    /** The port the client connected to. */
    default int serverPort() {
        return 0;
    }

    /** The request ID (the client's if the listener trusts it, else generated). */
    String requestId();

    /**
     * The match of the route's {@code path-regex} against the normalised path, for its groups
     * ({@code $1}, {@code ${name}}), or null when the route has no regular expression. Read-only.
     */
    default java.util.regex.Matcher pathMatch() {
        return null;
    }

    /**
     * The matched route's {@code path-prefix}, or null when it has none: what a static route takes
     * off the path to find its file (nginx {@code alias}).
     */
    default String routePrefix() {
        return null;
    }

    /** The pool the route chose, or null if no route matched (the answer will be 404). */
    String pool();

    /**
     * Sends the request to pool {@code name} instead.
     *
     * @return false if there is no such pool (nothing changes)
     */
    boolean usePool(String name);

    /** Changes to the fields sent upstream (set, add, remove); they apply to every attempt. */
    FieldEdits upstreamFields();

    /**
     * Answers the request without an upstream: {@code status}, a body of {@code contentType}, and
     * {@code fields} (may be null) besides Kodiak's own. The filter then returns
     * {@link RequestFilter.Verdict#RESPONDED}.
     */
    void respond(int status, String contentType, byte[] body, FieldEdits fields);

    /**
     * Answers the request with a file ({@code static} routes): the exchange sends its head
     * through the response filters, then its bytes, and closes it. The filter then returns
     * {@link RequestFilter.Verdict#RESPONDED}.
     */
    default void respondFile(io.kodiak.files.FileAnswer answer) {
        answer.close();
        throw new UnsupportedOperationException("file answers are not supported here");
    }
}
