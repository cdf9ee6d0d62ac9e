package io.kodiak.accesslog;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Every variable a log template may name, with its meaning: the one table behind
 * {@link TemplateFormat}, {@link JsonFormat} (whose keys are these names) and docs/access-log.md.
 * Names follow nginx where nginx has the variable; Kodiak's own are marked in the docs.
 *
 * <p>In text, an absent value is {@code -} and text is escaped as nginx does ({@link LogEscape});
 * in JSON an absent value is {@code null}. Stateless; any thread.
 */
enum Variable {
    REMOTE_ADDR("remote_addr", "client IP address"),
    REMOTE_PORT("remote_port", "client TCP port", Kind.COUNT),
    REALIP_REMOTE_ADDR("realip_remote_addr", "the connection's address (TCP peer, or PROXY protocol's), before real-ip"),
    REMOTE_USER("remote_user", "the user basic-auth let through"),
    TIME_LOCAL("time_local", "start time, local zone, as in combined: 04/Dec/2026:18:04:25 +0000", Kind.TIME_LOCAL),
    TIME_ISO8601("time_iso8601", "start time, local zone, ISO 8601: 2026-12-04T18:04:25+00:00", Kind.TIME_ISO),
    MSEC("msec", "start time in seconds since the epoch, with milliseconds: 1796407465.123", Kind.MSEC),
    REQUEST("request", "the request line: method, target and protocol", Kind.REQUEST),
    REQUEST_METHOD("request_method", "request method"),
    REQUEST_URI("request_uri", "request target as the client sent it, with query"),
    SERVER_PROTOCOL("server_protocol", "HTTP/1.0 or HTTP/1.1"),
    STATUS("status", "status sent to the client; 000 if none was", Kind.STATUS),
    REQUEST_LENGTH("request_length", "bytes received from the client (head and body)", Kind.COUNT),
    BYTES_SENT("bytes_sent", "bytes sent to the client (head and body)", Kind.COUNT),
    BODY_BYTES_SENT("body_bytes_sent", "response body bytes sent to the client", Kind.COUNT),
    REQUEST_TIME("request_time", "seconds with ms from the first request byte to the last response byte", Kind.SECONDS),
    UPSTREAM_ADDR("upstream_addr", "host:port of the last upstream tried"),
    UPSTREAM_CONNECT_TIME("upstream_connect_time", "seconds with ms to connect to the last upstream", Kind.SECONDS),
    UPSTREAM_HEADER_TIME("upstream_header_time", "seconds with ms from connecting to the response head", Kind.SECONDS),
    UPSTREAM_RESPONSE_TIME("upstream_response_time", "seconds with ms from connecting to the response's last byte", Kind.SECONDS),
    REQUEST_ID("request_id", "the request ID (from the request's ID header, or generated)"),
    HTTP_USER_AGENT("http_user_agent", "the User-Agent header"),
    HTTP_REFERER("http_referer", "the Referer header"),
    LISTENER("listener", "(Kodiak) name of the listener that took the request"),
    POOL("pool", "(Kodiak) pool the route chose"),
    ROUTE("route", "(Kodiak) the route the request took: its name, or routes[N]"),
    UPSTREAM_NAME("upstream_name", "(Kodiak) name of the last upstream tried"),
    ATTEMPTS("attempts", "(Kodiak) upstream attempts made, 0 when Kodiak answered itself", Kind.COUNT),
    QUEUE_TIME("queue_time", "(Kodiak) seconds with ms spent in the pool's queue", Kind.SECONDS),
    TERMINATION("termination", "(Kodiak) how it ended, as HAProxy's termination state: -- normal, CD client abort, sH response timeout...");

    private static final byte[] NULL = {'n', 'u', 'l', 'l'};

    private enum Kind { TEXT, COUNT, SECONDS, STATUS, TIME_LOCAL, TIME_ISO, MSEC, REQUEST }

    private final String varName;
    private final String meaning;
    private final Kind kind;

    Variable(String varName, String meaning) {
        this(varName, meaning, Kind.TEXT);
    }

    Variable(String varName, String meaning, Kind kind) {
        this.varName = varName;
        this.meaning = meaning;
        this.kind = kind;
    }

    /*
     * The values, as switches rather than a lambda per constant: a line reads some twenty of them,
     * and twenty lambdas behind one call site made every read a megamorphic interface call (a
     * tenth of the writer's time); a switch over the constants is a jump table.
     */

    /** A TEXT variable's value; null when absent. */
    private String text(AccessLogEntry e) {
        return switch (this) {
            case REMOTE_ADDR -> e.clientAddress();
            case REALIP_REMOTE_ADDR -> e.realIpRemoteAddress();
            case REMOTE_USER -> e.remoteUser();
            case REQUEST_METHOD -> e.method();
            case REQUEST_URI -> e.target();
            case SERVER_PROTOCOL -> e.protocol();
            case UPSTREAM_ADDR -> e.upstreamAddress();
            case REQUEST_ID -> e.requestId();
            case HTTP_USER_AGENT -> e.userAgent();
            case HTTP_REFERER -> e.referer();
            case LISTENER -> e.listener();
            case POOL -> e.pool();
            case ROUTE -> e.route();
            case UPSTREAM_NAME -> e.upstreamName();
            case TERMINATION -> e.termination().code();
            default -> throw new AssertionError(this + " is not text");
        };
    }

    /** A number variable's value; negative when absent (but for times and the status, always there). */
    private long number(AccessLogEntry e) {
        return switch (this) {
            case REMOTE_PORT -> e.clientPort();
            case TIME_LOCAL, TIME_ISO8601, MSEC -> e.startEpochMillis();
            case STATUS -> e.status();
            case REQUEST_LENGTH -> e.bytesReceived();
            case BYTES_SENT -> e.bytesSent();
            case BODY_BYTES_SENT -> e.bodyBytesSent();
            case REQUEST_TIME -> e.requestTimeNanos();
            case UPSTREAM_CONNECT_TIME -> e.upstreamConnectNanos();
            case UPSTREAM_HEADER_TIME -> e.upstreamHeaderNanos();
            case UPSTREAM_RESPONSE_TIME -> e.upstreamResponseNanos();
            case ATTEMPTS -> e.attempts();
            case QUEUE_TIME -> e.queueNanos();
            default -> throw new AssertionError(this + " is not a number");
        };
    }

    /** The name a template writes after {@code $}, and the JSON key. */
    String varName() {
        return varName;
    }

    /** One line saying what the value is. */
    String meaning() {
        return meaning;
    }

    /**
     * Whether {@link JsonFormat} writes it: not {@code time_local} and {@code request}, which
     * repeat {@code time_iso8601} and the three request fields in a form made for text.
     */
    boolean inJson() {
        return this != TIME_LOCAL && this != REQUEST;
    }

    /** The variable of that name; IllegalArgumentException naming every known one if none is. */
    static Variable named(String name) {
        for (Variable v : values()) {
            if (v.varName.equals(name)) {
                return v;
            }
        }
        throw new IllegalArgumentException("unknown access log variable $" + name + "; known: "
                + Arrays.stream(values()).map(v -> "$" + v.varName).collect(Collectors.joining(" ")));
    }

    /** Appends the value as text: nginx-escaped, {@code -} when absent. */
    void appendText(AccessLogEntry e, LogTimes times, LogLine out) {
        switch (kind) {
            case TEXT -> {
                String s = text(e);
                if (s == null || s.isEmpty()) {
                    out.ascii('-');
                } else {
                    LogEscape.nginx(s, out);
                }
            }
            case REQUEST -> appendRequest(e, out);
            case TIME_LOCAL -> times.appendLocal(number(e), out);
            case TIME_ISO -> times.appendIso(number(e), out);
            default -> {
                if (!appendNumber(e, out)) {
                    out.ascii('-');
                }
            }
        }
    }

    /** Appends the value as a JSON value: a number, an escaped string, or {@code null}. */
    void appendJson(AccessLogEntry e, LogTimes times, LogLine out) {
        switch (kind) {
            case TEXT -> {
                String s = text(e);
                if (s == null) {
                    out.bytes(NULL);
                } else {
                    out.ascii('"');
                    LogEscape.json(s, out);
                    out.ascii('"');
                }
            }
            case REQUEST -> {
                if (e.method() == null) {
                    out.bytes(NULL);
                } else {
                    out.ascii('"');
                    LogEscape.json(requestLine(e), out);
                    out.ascii('"');
                }
            }
            case TIME_LOCAL -> {
                out.ascii('"');
                times.appendLocal(number(e), out);
                out.ascii('"');
            }
            case TIME_ISO -> {
                out.ascii('"');
                times.appendIso(number(e), out);
                out.ascii('"');
            }
            case STATUS -> out.number(e.status());
            default -> {
                if (!appendNumber(e, out)) {
                    out.bytes(NULL);
                }
            }
        }
    }

    /** Numbers; false (nothing appended) when the value is absent (negative). */
    private boolean appendNumber(AccessLogEntry e, LogLine out) {
        long n = number(e);
        switch (kind) {
            case STATUS -> {
                // nginx writes three digits, 000 when no status was sent.
                if (n < 100 && n >= 0) {
                    out.ascii('0');
                    if (n < 10) {
                        out.ascii('0');
                    }
                }
                out.number(n);
                return true;
            }
            case MSEC -> {
                LogTimes.appendMsec(n, out);
                return true;
            }
            default -> {
                if (n < 0) {
                    return false;
                }
                if (kind == Kind.SECONDS) {
                    LogTimes.appendSeconds(n, out);
                } else {
                    out.number(n);
                }
                return true;
            }
        }
    }

    /** {@code "GET /x HTTP/1.1"} escaped piece by piece (no string built), or {@code -}. */
    private static void appendRequest(AccessLogEntry e, LogLine out) {
        if (e.method() == null) {
            out.ascii('-');
            return;
        }
        LogEscape.nginx(e.method(), out);
        if (e.target() != null) {
            out.ascii(' ');
            LogEscape.nginx(e.target(), out);
        }
        if (e.protocol() != null) {
            out.ascii(' ');
            LogEscape.nginx(e.protocol(), out);
        }
    }

    private static CharSequence requestLine(AccessLogEntry e) {
        StringBuilder b = new StringBuilder(e.method());
        if (e.target() != null) {
            b.append(' ').append(e.target());
        }
        if (e.protocol() != null) {
            b.append(' ').append(e.protocol());
        }
        return b;
    }
}
