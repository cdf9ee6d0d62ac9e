package io.kodiak.accesslog;

import java.util.Arrays;
import java.util.function.Function;
import java.util.function.ToLongFunction;
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
    REMOTE_ADDR("remote_addr", "client IP address", e -> e.clientAddress()),
    REMOTE_PORT("remote_port", "client TCP port", Kind.COUNT, e -> e.clientPort()),
    TIME_LOCAL("time_local", "start time, local zone, as in combined: 04/Dec/2026:18:04:25 +0000", Kind.TIME_LOCAL, e -> e.startEpochMillis()),
    TIME_ISO8601("time_iso8601", "start time, local zone, ISO 8601: 2026-12-04T18:04:25+00:00", Kind.TIME_ISO, e -> e.startEpochMillis()),
    MSEC("msec", "start time in seconds since the epoch, with milliseconds: 1796407465.123", Kind.MSEC, e -> e.startEpochMillis()),
    REQUEST("request", "the request line: method, target and protocol", Kind.REQUEST, e -> 0),
    REQUEST_METHOD("request_method", "request method", e -> e.method()),
    REQUEST_URI("request_uri", "request target as the client sent it, with query", e -> e.target()),
    SERVER_PROTOCOL("server_protocol", "HTTP/1.0 or HTTP/1.1", e -> e.protocol()),
    STATUS("status", "status sent to the client; 000 if none was", Kind.STATUS, e -> e.status()),
    REQUEST_LENGTH("request_length", "bytes received from the client (head and body)", Kind.COUNT, e -> e.bytesReceived()),
    BYTES_SENT("bytes_sent", "bytes sent to the client (head and body)", Kind.COUNT, e -> e.bytesSent()),
    BODY_BYTES_SENT("body_bytes_sent", "response body bytes sent to the client", Kind.COUNT, e -> e.bodyBytesSent()),
    REQUEST_TIME("request_time", "seconds with ms from the first request byte to the last response byte", Kind.SECONDS, e -> e.requestTimeNanos()),
    UPSTREAM_ADDR("upstream_addr", "host:port of the last upstream tried", e -> e.upstreamAddress()),
    UPSTREAM_CONNECT_TIME("upstream_connect_time", "seconds with ms to connect to the last upstream", Kind.SECONDS, e -> e.upstreamConnectNanos()),
    UPSTREAM_HEADER_TIME("upstream_header_time", "seconds with ms from connecting to the response head", Kind.SECONDS, e -> e.upstreamHeaderNanos()),
    UPSTREAM_RESPONSE_TIME("upstream_response_time", "seconds with ms from connecting to the response's last byte", Kind.SECONDS, e -> e.upstreamResponseNanos()),
    REQUEST_ID("request_id", "the request ID (from the request's ID header, or generated)", e -> e.requestId()),
    HTTP_USER_AGENT("http_user_agent", "the User-Agent header", e -> e.userAgent()),
    HTTP_REFERER("http_referer", "the Referer header", e -> e.referer()),
    LISTENER("listener", "(Kodiak) name of the listener that took the request", e -> e.listener()),
    POOL("pool", "(Kodiak) pool the route chose", e -> e.pool()),
    UPSTREAM_NAME("upstream_name", "(Kodiak) name of the last upstream tried", e -> e.upstreamName()),
    ATTEMPTS("attempts", "(Kodiak) upstream attempts made, 0 when Kodiak answered itself", Kind.COUNT, e -> e.attempts()),
    QUEUE_TIME("queue_time", "(Kodiak) seconds with ms spent in the pool's queue", Kind.SECONDS, e -> e.queueNanos()),
    TERMINATION("termination", "(Kodiak) how it ended, as HAProxy's termination state: -- normal, CD client abort, sH response timeout...", e -> e.termination().code());

    private enum Kind { TEXT, COUNT, SECONDS, STATUS, TIME_LOCAL, TIME_ISO, MSEC, REQUEST }

    private final String varName;
    private final String meaning;
    private final Kind kind;
    private final Function<AccessLogEntry, String> text;
    private final ToLongFunction<AccessLogEntry> number;

    Variable(String varName, String meaning, Function<AccessLogEntry, String> text) {
        this.varName = varName;
        this.meaning = meaning;
        this.kind = Kind.TEXT;
        this.text = text;
        this.number = null;
    }

    Variable(String varName, String meaning, Kind kind, ToLongFunction<AccessLogEntry> number) {
        this.varName = varName;
        this.meaning = meaning;
        this.kind = kind;
        this.text = null;
        this.number = number;
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
    void appendText(AccessLogEntry e, LogTimes times, StringBuilder out) {
        switch (kind) {
            case TEXT -> {
                String s = text.apply(e);
                if (s == null || s.isEmpty()) {
                    out.append('-');
                } else {
                    LogEscape.nginx(s, out);
                }
            }
            case REQUEST -> appendRequest(e, out);
            case TIME_LOCAL -> times.appendLocal(number.applyAsLong(e), out);
            case TIME_ISO -> times.appendIso(number.applyAsLong(e), out);
            default -> {
                if (!appendNumber(e, out)) {
                    out.append('-');
                }
            }
        }
    }

    /** Appends the value as a JSON value: a number, an escaped string, or {@code null}. */
    void appendJson(AccessLogEntry e, LogTimes times, StringBuilder out) {
        switch (kind) {
            case TEXT -> {
                String s = text.apply(e);
                if (s == null) {
                    out.append("null");
                } else {
                    out.append('"');
                    LogEscape.json(s, out);
                    out.append('"');
                }
            }
            case REQUEST -> {
                if (e.method() == null) {
                    out.append("null");
                } else {
                    out.append('"');
                    LogEscape.json(requestLine(e), out);
                    out.append('"');
                }
            }
            case TIME_LOCAL -> {
                out.append('"');
                times.appendLocal(number.applyAsLong(e), out);
                out.append('"');
            }
            case TIME_ISO -> {
                out.append('"');
                times.appendIso(number.applyAsLong(e), out);
                out.append('"');
            }
            case STATUS -> out.append(e.status());
            default -> {
                if (!appendNumber(e, out)) {
                    out.append("null");
                }
            }
        }
    }

    /** Numbers; false (nothing appended) when the value is absent (negative). */
    private boolean appendNumber(AccessLogEntry e, StringBuilder out) {
        long n = number.applyAsLong(e);
        switch (kind) {
            case STATUS -> {
                // nginx writes three digits, 000 when no status was sent.
                if (n < 100) {
                    out.append(n < 10 ? "00" : "0");
                }
                out.append(n);
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
                    out.append(n);
                }
                return true;
            }
        }
    }

    /** {@code "GET /x HTTP/1.1"} escaped piece by piece (no string built), or {@code -}. */
    private static void appendRequest(AccessLogEntry e, StringBuilder out) {
        if (e.method() == null) {
            out.append('-');
            return;
        }
        LogEscape.nginx(e.method(), out);
        if (e.target() != null) {
            out.append(' ');
            LogEscape.nginx(e.target(), out);
        }
        if (e.protocol() != null) {
            out.append(' ');
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
