package io.kodiak.proxy;

import io.kodiak.http.ResponseEncoder;

import java.nio.charset.StandardCharsets;

/** The bodies of Kodiak's own answers (404, 413, 502, 503, 504...), made once. */
final class LocalAnswers {
    static final String TEXT = "text/plain; charset=utf-8";
    static final byte[] CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[][] BODIES = new byte[600][];

    private LocalAnswers() {
    }

    /** {@code "503 Service Unavailable\n"} and the like; the array is shared and must not be changed. */
    static byte[] body(int status) {
        if (status < 100 || status >= BODIES.length) {
            return text(status);
        }
        byte[] b = BODIES[status];
        if (b == null) {
            b = text(status); // racing threads make equal arrays: harmless
            BODIES[status] = b;
        }
        return b;
    }

    private static byte[] text(int status) {
        return (status + " " + ResponseEncoder.reason(status) + "\n").getBytes(StandardCharsets.US_ASCII);
    }
}
