package io.kodiak.accesslog;

/** Entries for the access log tests: one with every field set, one with every nullable one null. */
final class Entries {
    /** 2026-12-04T18:04:25.123Z. */
    static final long START = 1_796_407_465_123L;

    private Entries() {
    }

    static AccessLogEntry full() {
        return withAgent("curl/8.5.0");
    }

    static AccessLogEntry withAgent(String userAgent) {
        return new AccessLogEntry("192.0.2.7", 51234, START, "GET", "/v1/items?id=3", "HTTP/1.1",
                200, 312, 1_480, 1_200, 42_600_000L, "public", "api", "web-2", "10.0.0.2:8000",
                1_200_000L, 30_500_000L, 41_900_000L, 2, 3_000_000L, "0123456789abcdef0123456789abcdef",
                userAgent, "https://example.com/", Termination.NORMAL, "api-v1", null, "demo");
    }

    /** Answered locally after a bad request line: no method, no upstream, no headers. */
    static AccessLogEntry sparse() {
        return new AccessLogEntry("127.0.0.1", 40000, START, null, null, null, 400, 17, 120, 0,
                1_000_000L, "public", null, null, null, -1, -1, -1, 0, 0,
                "ffffffffffffffffffffffffffffffff", null, null, Termination.LOCAL_ANSWER);
    }

    static AccessLogEntry numbered(int i) {
        return new AccessLogEntry("127.0.0.1", 40000, START, "GET", "/" + i, "HTTP/1.1", 200, 0,
                0, 0, 0, "l", "p", null, null, -1, -1, -1, 1, 0, "id" + i, null, null,
                Termination.NORMAL);
    }

    static String format(AccessLogFormat f, AccessLogEntry e) {
        LogLine line = new LogLine();
        f.format(e, line);
        return line.toString();
    }

    /** Writes {@code text} to {@code target} as one UTF-8 line. */
    static void write(AccessLogTarget target, String text) throws java.io.IOException {
        byte[] b = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        target.write(b, 0, b.length);
    }
}
