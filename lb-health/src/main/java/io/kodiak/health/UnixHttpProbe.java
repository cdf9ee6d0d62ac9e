package io.kodiak.health;

import java.io.EOFException;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * An HTTP check of an upstream on a Unix-domain socket (HAProxy's {@code option httpchk} on a
 * {@code server s1 /run/app.sock check}), on the shared {@link ConnectProbeLoop}: the
 * grizzly-http-client behind {@link HttpProbeClient} only reaches TCP addresses. Each check connects,
 * sends {@code METHOD PATH HTTP/1.1} with {@code Host: localhost} (or the check's {@code host}) and
 * {@code Connection: close}, as {@link HttpProbeClient}'s do, reads the head (at most
 * {@link #MAX_HEAD_BYTES}) and, when the check looks for text, up to
 * {@link HttpProbeClient#MAX_BODY_BYTES} of the body (de-chunked), then judges it by the same
 * rules: the status, the body text, and the captured headers passed on with a success.
 *
 * <p>Threading: {@link #start} may be called from any thread; the exchange runs on the loop's
 * thread under the check's deadline, and the result is reported there once.
 */
public final class UnixHttpProbe implements Probe {
    /** A longer head fails the check: no health endpoint needs one, and the read stays bounded. */
    public static final int MAX_HEAD_BYTES = 64 * 1024;

    private final ConnectProbeLoop loop;
    private final UnixDomainSocketAddress socket;
    private final HttpCheck check;
    private final byte[] request;

    public UnixHttpProbe(ConnectProbeLoop loop, UnixDomainSocketAddress socket, HttpCheck check) {
        this.loop = Objects.requireNonNull(loop, "loop");
        this.socket = Objects.requireNonNull(socket, "socket");
        this.check = Objects.requireNonNull(check, "check");
        this.request = (check.method() + " " + check.path() + " HTTP/1.1\r\nHost: "
                + (check.host() == null ? "localhost" : check.host())
                + "\r\nUser-Agent: Kodiak-health-check\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void start(Duration timeout, Consumer<ProbeResult> callback) {
        loop.converse(socket, timeout, Exchange::new, callback);
    }

    @Override
    public String toString() {
        return "http " + check.method() + " unix:" + socket.getPath() + check.path()
                + (check.host() == null ? "" : " (Host: " + check.host() + ")");
    }

    /** One check's request and response, on the loop thread. */
    private final class Exchange implements Conversation {
        private final ByteBuffer out = ByteBuffer.wrap(request);
        private final ByteBuffer in = ByteBuffer.allocate(8 * 1024);
        /** What has arrived: the head, then the body (bounded by {@link #limit}). */
        private byte[] got = new byte[8 * 1024];
        private int length;
        /** Where the body starts, once the head is complete; -1 before. */
        private int bodyAt = -1;
        private int status;
        private long contentLength = -1;
        private boolean chunked;
        private final Map<String, String> captured = new HashMap<>();
        private String invalid;

        @Override
        public int advance(SocketChannel channel) throws IOException {
            if (out.hasRemaining()) {
                channel.write(out);
                if (out.hasRemaining()) {
                    return SelectionKey.OP_WRITE;
                }
            }
            while (!enough()) {
                in.clear();
                int n = channel.read(in);
                if (n == 0) {
                    return SelectionKey.OP_READ;
                }
                if (n < 0) {
                    if (bodyAt < 0) {
                        throw new EOFException(length == 0 ? "closed without a response"
                                : "closed before the end of the response head");
                    }
                    return 0; // Connection: close: the body ends here
                }
                append(in.flip());
                if (bodyAt < 0) {
                    parseHead();
                }
            }
            return 0;
        }

        /** Whether the check can be judged: a bad head, or a head and as much body as the check reads. */
        private boolean enough() {
            if (invalid != null) {
                return true;
            }
            if (bodyAt < 0) {
                return false;
            }
            if (check.expectBody() == null || check.method().equals("HEAD") || status == 204 || status == 304) {
                return true;
            }
            int body = length - bodyAt;
            return body >= HttpProbeClient.MAX_BODY_BYTES || (!chunked && contentLength >= 0 && body >= contentLength);
        }

        private void append(ByteBuffer b) {
            int room = (bodyAt < 0 ? MAX_HEAD_BYTES : bodyAt + HttpProbeClient.MAX_BODY_BYTES + 64) - length;
            int n = Math.min(b.remaining(), Math.max(room, 0));
            if (length + n > got.length) {
                got = java.util.Arrays.copyOf(got, Math.max(got.length * 2, length + n));
            }
            b.get(got, length, n);
            length += n;
            if (bodyAt < 0 && length >= MAX_HEAD_BYTES && headEnd() < 0) {
                invalid = "a response head over " + MAX_HEAD_BYTES + " bytes";
            }
        }

        private int headEnd() {
            for (int i = 3; i < length; i++) {
                if (got[i] == '\n' && got[i - 1] == '\r' && got[i - 2] == '\n' && got[i - 3] == '\r') {
                    return i + 1;
                }
            }
            return -1;
        }

        private void parseHead() {
            int end = headEnd();
            if (end < 0) {
                return;
            }
            String[] lines = new String(got, 0, end, StandardCharsets.ISO_8859_1).split("\r\n");
            String[] statusLine = lines[0].split(" ", 3);
            if (statusLine.length < 2 || !statusLine[0].startsWith("HTTP/1.") || !statusLine[1].matches("[1-5][0-9][0-9]")) {
                invalid = "not an HTTP/1 response: " + lines[0].substring(0, Math.min(lines[0].length(), 80));
                return;
            }
            status = Integer.parseInt(statusLine[1]);
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon <= 0) {
                    continue;
                }
                String name = lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT);
                String value = lines[i].substring(colon + 1).trim();
                if (name.equals("content-length")) {
                    try {
                        contentLength = Long.parseLong(value);
                    } catch (NumberFormatException e) {
                        invalid = "Content-Length: " + value;
                        return;
                    }
                } else if (name.equals("transfer-encoding")) {
                    chunked = value.toLowerCase(Locale.ROOT).endsWith("chunked");
                }
                if (check.captureHeaders().contains(name)) {
                    captured.putIfAbsent(name, value);
                }
            }
            bodyAt = end;
        }

        @Override
        public ProbeResult outcome(SocketChannel channel, String target) {
            if (invalid != null) {
                return result(ProbeStatus.UNEXPECTED_RESPONSE, invalid);
            }
            if (!check.accepts(status)) {
                return result(ProbeStatus.UNEXPECTED_RESPONSE, "HTTP " + status + ", expected " + check.expectStatus());
            }
            if (check.expectBody() != null && !body().contains(check.expectBody())) {
                return result(ProbeStatus.UNEXPECTED_RESPONSE, "HTTP " + status + " without \"" + check.expectBody()
                        + "\" in the first " + HttpProbeClient.MAX_BODY_BYTES + " bytes of the body");
            }
            return new ProbeResult(ProbeStatus.SUCCESS, "HTTP " + status, 0, captured);
        }

        /** The body as far as it was read, de-chunked (a chunk cut short is kept as far as it goes). */
        private String body() {
            int end = Math.min(length, bodyAt + HttpProbeClient.MAX_BODY_BYTES);
            if (!chunked) {
                return new String(got, bodyAt, end - bodyAt, StandardCharsets.UTF_8);
            }
            StringBuilder sb = new StringBuilder();
            int i = bodyAt;
            while (i < end) {
                int lf = i;
                while (lf < end && got[lf] != '\n') {
                    lf++;
                }
                String size = new String(got, i, lf - i, StandardCharsets.ISO_8859_1).split(";", 2)[0].trim();
                int n;
                try {
                    n = Integer.parseInt(size, 16);
                } catch (NumberFormatException e) {
                    break;
                }
                if (n <= 0 || lf >= end) {
                    break;
                }
                int from = lf + 1;
                int to = (int) Math.min((long) from + n, end);
                sb.append(new String(got, from, to - from, StandardCharsets.UTF_8));
                i = to + 2; // the chunk's CRLF
            }
            return sb.toString();
        }

        @Override
        public ProbeResult failure(Exception e, String target) {
            // The upstream closed or reset the connection: its doing, as a bad answer is.
            return result(ProbeStatus.UNEXPECTED_RESPONSE, e.getMessage() != null ? e.getMessage() : e.toString());
        }

        private ProbeResult result(ProbeStatus s, String why) {
            return new ProbeResult(s, check.method() + " unix:" + socket.getPath() + check.path() + ": " + why, 0);
        }

        /** What a timed-out check waited for: "no HTTP response to ...". */
        @Override
        public String toString() {
            return "HTTP response";
        }
    }
}
