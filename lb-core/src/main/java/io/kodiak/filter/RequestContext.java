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

    /** The route the request took: its {@code name}, or {@code routes[N]}; null when none matched. */
    default String route() {
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

    /**
     * Sends {@code target} upstream instead of the client's target (nginx {@code rewrite ... break},
     * HAProxy {@code set-path}): an origin-form path with an optional query, already encoded (see
     * {@link io.kodiak.http.UriText}). Applies to every attempt; the access log keeps the client's.
     *
     * @throws IllegalArgumentException if it does not start with '/' or holds a character a
     *                                  request target cannot carry (a space, CR, LF, '#', 8-bit)
     */
    default void rewriteTarget(String target) {
        throw new UnsupportedOperationException("rewriteTarget");
    }

    /** The target that goes upstream: the client's, or the last {@link #rewriteTarget}'s. */
    default String upstreamTarget() {
        return head().target();
    }

    /**
     * Sends {@code authority} ({@code host[:port]}) as the {@code Host} upstream in place of the
     * client's, or, if null, the upstream's own {@code host:port}, picked per attempt (nginx
     * {@code proxy_set_header Host $proxy_host}). {@code X-Forwarded-Host} and {@code Forwarded}
     * still report the client's. Wins over a {@code Host} set through {@link #upstreamFields()}.
     *
     * @throws IllegalArgumentException if {@code authority} is not a host[:port]
     */
    default void rewriteHost(String authority) {
        throw new UnsupportedOperationException("rewriteHost");
    }

    /** Changes to the fields sent upstream (set, add, remove); they apply to every attempt. */
    FieldEdits upstreamFields();

    /**
     * Answers the request without an upstream: {@code status}, a body of {@code contentType}, and
     * {@code fields} (may be null) besides Kodiak's own. The filter then returns
     * {@link RequestFilter.Verdict#RESPONDED}.
     */
    void respond(int status, String contentType, byte[] body, FieldEdits fields);

    /**
     * Answers the request with {@code answer}, encoded once for every request (a route's
     * {@code respond}): the cheapest answer Kodiak has. The filter then returns
     * {@link RequestFilter.Verdict#RESPONDED}.
     */
    default void respond(io.kodiak.http.FixedResponse answer) {
        respond(answer.status(), answer.contentType(), answer.body(), answer.fieldEdits());
    }

    /**
     * Answers the request with a file ({@code static} routes): the exchange sends its head
     * through the response filters, then its bytes, and closes it. The filter then returns
     * {@link RequestFilter.Verdict#RESPONDED}.
     */
    default void respondFile(io.kodiak.filter.FileAnswer answer) {
        answer.close();
        throw new UnsupportedOperationException("file answers are not supported here");
    }

    /**
     * Pauses the request phase: the filter returns {@link RequestFilter.Verdict#SUSPENDED} and
     * resumes it later through the {@link Suspension} (from any thread, or on a timer). Once per
     * call of a filter.
     */
    default Suspension suspend() {
        throw new UnsupportedOperationException("suspend");
    }

    /**
     * Runs {@code r} once when the exchange ends, however it ends (answered, proxied, failed, the
     * client gone), on the connection's thread with its lock held: it must not block. What a
     * filter counts while a request is in progress (nginx {@code limit_conn}) is given back here.
     */
    default void onEnd(Runnable r) {
        throw new UnsupportedOperationException("onEnd");
    }

    /**
     * Names the user an authentication let through: the access log's {@code $remote_user} (nginx's
     * name, the user field of the combined format).
     */
    default void remoteUser(String user) {
        throw new UnsupportedOperationException("remoteUser");
    }

    /**
     * Asks to see the request's body before it goes upstream ({@link BodyInspector}): request
     * rules on the body. The request is then buffered whatever its pool says. Called at most once
     * per filter; the listener's and the route's inspectors both run.
     */
    default void inspectBody(BodyInspector inspector) {
        throw new UnsupportedOperationException("inspectBody");
    }

    /**
     * How the access log's termination state names this request's end if a filter answers it
     * ({@link io.kodiak.accesslog.Termination#LOCAL_ANSWER}, {@code PR}, unless set): a rate
     * limit's 429 is {@code RATE_LIMITED}, a tarpit's 403 {@code TARPIT}.
     */
    default void termination(io.kodiak.accesslog.Termination t) {
        throw new UnsupportedOperationException("termination");
    }
}
