package io.kodiak.accesslog;

/**
 * How an exchange ended, as HAProxy's two-character termination state ({@code %ts}), so that an
 * operator who reads HAProxy logs reads these.
 *
 * <p>The first character says who or what ended it: {@code C} the client, {@code S} the upstream,
 * {@code P} Kodiak itself (the proxy), {@code R} a local resource ran out, {@code -} nobody (normal
 * end). As in HAProxy, a lower-case {@code c} or {@code s} means a timeout on that side rather than
 * an abort. The second character is the phase: {@code R} receiving the request, {@code Q} waiting
 * in the queue, {@code C} connecting upstream, {@code H} waiting for the response head, {@code D}
 * moving the response body, {@code -} normal end. HAProxy's {@code I} (internal error) and
 * {@code L} (last data) have no value here yet.
 *
 * <p>Codes are unique, so a code names one value ({@link #ofCode}).
 */
public enum Termination {
    /** {@code --}: the response was sent in full (a WebSocket: closed by either side). HAProxy {@code --}. */
    NORMAL("--"),
    /**
     * {@code CR}: the client closed or reset the connection before Kodiak had the whole request.
     * HAProxy {@code CR}.
     */
    CLIENT_ABORT_REQUEST("CR"),
    /**
     * {@code CD}: the client closed or reset the connection while the response was on its way
     * (nginx logs these as status 499). HAProxy {@code CH} and {@code CD}.
     */
    CLIENT_ABORT("CD"),
    /**
     * {@code cR}: the request head or body came in too slowly (request-header or body timeout).
     * HAProxy {@code cR}.
     */
    CLIENT_TIMEOUT("cR"),
    /**
     * {@code cD}: the client stopped reading the response, and the send timeout expired.
     * HAProxy {@code cD}.
     */
    SEND_TIMEOUT("cD"),
    /** {@code sQ}: the request waited its longest in the pool's queue. HAProxy {@code sQ}. */
    QUEUE_TIMEOUT("sQ"),
    /**
     * {@code PQ}: the pool's queue was full, so Kodiak answered 503 at once. HAProxy has no
     * separate state for a full queue ({@code maxqueue} ends in {@code sQ} or a redispatch).
     */
    QUEUE_FULL("PQ"),
    /**
     * {@code PC}: the pool had no upstream to try (all down, drained or ejected). HAProxy logs
     * {@code SC} with server {@code <NOSRV>}.
     */
    NO_UPSTREAM("PC"),
    /** {@code SC}: the upstream refused the connection or was unreachable. HAProxy {@code SC}. */
    CONNECT_FAILED("SC"),
    /** {@code sC}: connecting to the upstream timed out. HAProxy {@code sC}. */
    CONNECT_TIMEOUT("sC"),
    /**
     * {@code SH}: the upstream closed or reset the connection before a complete response head.
     * HAProxy {@code SH}.
     */
    UPSTREAM_RESET("SH"),
    /**
     * {@code SD}: the upstream closed or reset the connection in the middle of the response body.
     * HAProxy {@code SD}.
     */
    UPSTREAM_ABORT("SD"),
    /** {@code sH}: the upstream sent no complete response head in time. HAProxy {@code sH}. */
    RESPONSE_TIMEOUT("sH"),
    /** {@code sD}: the upstream stalled in the middle of the response body. HAProxy {@code sD}. */
    READ_TIMEOUT("sD"),
    /**
     * {@code PH}: the upstream's response head was not valid HTTP/1.1, so Kodiak answered 502.
     * HAProxy {@code PH}.
     */
    INVALID_RESPONSE("PH"),
    /**
     * {@code PR}: Kodiak answered the request itself (400 malformed, 404 no route, 413 too large,
     * 431, a filter's answer...) without asking an upstream, or a filter failed. HAProxy
     * {@code PR} (proxy blocked the request) and {@code LR} (answered locally).
     */
    LOCAL_ANSWER("PR"),
    /**
     * {@code RD}: the temp space for spooling a request body or a response ran out, or a temp
     * file failed. HAProxy {@code R} (a resource such as memory or sockets exhausted).
     */
    TEMP_SPACE("RD"),
    /**
     * {@code PT}: an access rule tarpitted the request: held, then answered 403. HAProxy {@code PT}
     * ({@code http-request tarpit}).
     */
    TARPIT("PT"),
    /**
     * {@code RR}: a rate or concurrency limit on the client's key (address, header, cookie, route)
     * answered 429. Kodiak's own code ({@code R}: a limit on a resource, {@code R}: while receiving
     * the request); HAProxy logs {@code PR} for a deny on a stick table's rate.
     */
    RATE_LIMITED("RR");

    private final String code;

    Termination(String code) {
        this.code = code;
    }

    /** The two-character code, as HAProxy's {@code %ts}. */
    public String code() {
        return code;
    }

    /** The value whose {@link #code()} is {@code code}; IllegalArgumentException if none is. */
    public static Termination ofCode(String code) {
        for (Termination t : values()) {
            if (t.code.equals(code)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown termination code \"" + code + "\"");
    }
}
