package io.kodiak.proxy;

import io.kodiak.testing.Loopback;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Compression streams with bounded memory: 300 MB of text from an upstream, compressed by a
 * Kodiak whose heap is 64 MiB, arrives whole and in order. A compressor that gathered the body
 * before compressing (or the client side of it) would run out of heap and exit. Nothing here
 * holds the body either: it is generated, compressed, decompressed and compared as it flows.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class CompressionStreamingTest {
    private static final long LENGTH = 300_000_000L;
    /** One line of the body; its digits change, so the text compresses well but not absurdly. */
    private static final int LINE = 64;

    @TempDir
    Path dir;

    /** Byte {@code i} of the body: lines "000000123 lorem ipsum ...\n" of {@value #LINE} bytes. */
    static void fill(long position, byte[] b, int len) {
        byte[] tail = " lorem ipsum dolor sit amet, consectetur adipiscing elit sed.\n"
                .getBytes(StandardCharsets.US_ASCII); // 9 digits + 55 bytes = 64
        for (int i = 0; i < len; i++) {
            long p = position + i;
            long line = p / LINE;
            int col = (int) (p % LINE);
            if (col < 9) {
                long d = line;
                for (int k = 8; k > col; k--) {
                    d /= 10;
                }
                b[i] = (byte) ('0' + d % 10);
            } else {
                b[i] = tail[col - 9];
            }
        }
    }

    @Test
    void threeHundredMegabytesThroughA64MibHeap() throws Exception {
        try (ServerSocket upstream = new ServerSocket(0, 8, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Void> served = CompletableFuture.runAsync(() -> serve(upstream));
            Path config = dir.resolve("kodiak.yaml");
            Files.writeString(config, "admin: {listen: off, state-file: off}\nmetrics: off\nlisteners:\n"
                    + "  - name: big\n    address: 127.0.0.1:0\n    compression: {gzip: 1, brotli: false}\n"
                    + "pools:\n  big:\n    health-check: {type: none}\n"
                    + "    upstreams: [127.0.0.1:" + upstream.getLocalPort() + "]\n");
            long start = System.nanoTime();
            try (ChildKodiak kodiak = ChildKodiak.start(config, List.of("-Xmx64m", "-XX:MaxDirectMemorySize=32m",
                    "-XX:+ExitOnOutOfMemoryError", "-Dkodiak.grace.seconds=1"), Duration.ofSeconds(30));
                 Socket client = new Socket()) {
                client.connect(Loopback.at(kodiak.port()), 10_000);
                client.setSoTimeout(60_000);
                client.getOutputStream().write("GET /big.txt HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                InputStream in = new BufferedInputStream(client.getInputStream(), 1 << 16);
                String head = readHead(in);
                assertTrue(head.startsWith("HTTP/1.1 200 "), head + kodiak.output());
                assertTrue(head.toLowerCase().contains("\r\ncontent-encoding: gzip\r\n"), head);
                assertTrue(head.toLowerCase().contains("\r\ntransfer-encoding: chunked\r\n"), head);
                Counting wire = new Counting(new Dechunked(in));
                long received = compare(new GZIPInputStream(wire, 1 << 16));
                assertEquals(LENGTH, received);
                assertTrue(kodiak.isAlive(), "Kodiak died: " + kodiak.output());
                System.out.printf("compression streaming: %d MB in %.1f s, %d MB on the wire, Kodiak peak RSS %d MiB%n",
                        LENGTH / 1_000_000, (System.nanoTime() - start) / 1e9, wire.count / 1_000_000,
                        kodiak.peakRssKib() / 1024);
            }
            served.get(30, TimeUnit.SECONDS);
        }
    }

    /**
     * A streamed response keeps flowing when compressed: the upstream sends one event and then
     * waits until the client has it, decompressed, before it sends the rest. A compressor that
     * waited for its window to fill (or for the body's end) would leave the client waiting, and
     * the test would fail at the client's read timeout, not pass late.
     */
    @Test
    void aStreamedEventReachesTheClientBeforeTheBodyEnds() throws Exception {
        byte[] first = "data: {\"event\": 1, \"text\": \"the first of two\"}\n\n".getBytes(StandardCharsets.US_ASCII);
        byte[] second = "data: {\"event\": 2, \"text\": \"the second of two\"}\n\n".repeat(20).getBytes(StandardCharsets.US_ASCII);
        java.util.concurrent.CountDownLatch clientHasFirst = new java.util.concurrent.CountDownLatch(1);
        try (ServerSocket upstream = new ServerSocket(0, 8, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Void> served = CompletableFuture.runAsync(() -> {
                try (Socket s = upstream.accept()) {
                    readHead(new BufferedInputStream(s.getInputStream()));
                    OutputStream out = s.getOutputStream();
                    out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
                            + Integer.toHexString(first.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.write(first);
                    out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    if (!clientHasFirst.await(30, TimeUnit.SECONDS)) {
                        throw new AssertionError("the client never got the first event");
                    }
                    out.write((Integer.toHexString(second.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.write(second);
                    out.write("\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                } catch (IOException | InterruptedException e) {
                    throw new RuntimeException(e);
                }
            });
            Path config = dir.resolve("kodiak.yaml");
            Files.writeString(config, "admin: {listen: off, state-file: off}\nmetrics: off\nlisteners:\n"
                    + "  - name: sse\n    address: 127.0.0.1:0\n    compression: true\n"
                    + "pools:\n  sse:\n    health-check: {type: none}\n"
                    + "    upstreams: [127.0.0.1:" + upstream.getLocalPort() + "]\n");
            try (ProxyServer server = ProxyServer.start(io.kodiak.config.ConfigLoader.load(config));
                 Socket client = new Socket()) {
                client.connect(server.boundAddress("sse"), 10_000);
                client.setSoTimeout(20_000);
                client.getOutputStream().write("GET /events HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                InputStream in = new BufferedInputStream(client.getInputStream());
                String head = readHead(in);
                assertTrue(head.toLowerCase().contains("\r\ncontent-encoding: gzip\r\n"), head);
                InputStream body = new GZIPInputStream(new Dechunked(in), 512);
                assertEquals(new String(first, StandardCharsets.US_ASCII),
                        new String(body.readNBytes(first.length), StandardCharsets.US_ASCII));
                clientHasFirst.countDown();
                assertEquals(new String(second, StandardCharsets.US_ASCII),
                        new String(body.readAllBytes(), StandardCharsets.US_ASCII));
            }
            served.get(30, TimeUnit.SECONDS);
        }
    }

    /** Reads the decompressed body, comparing it with {@link #fill} as it comes; returns its length. */
    private static long compare(InputStream body) throws IOException {
        byte[] got = new byte[1 << 16];
        byte[] want = new byte[1 << 16];
        long position = 0;
        for (long reads = 0; reads < LENGTH; reads++) { // each read returns at least a byte
            int n = body.read(got);
            if (n < 0) {
                return position;
            }
            fill(position, want, n);
            for (int i = 0; i < n; i++) {
                if (got[i] != want[i]) {
                    throw new AssertionError("body differs at byte " + (position + i));
                }
            }
            position += n;
        }
        throw new AssertionError("more reads than bytes");
    }

    /** One connection: the request head, then {@value #LENGTH} bytes of text/plain with a Content-Length. */
    private static void serve(ServerSocket server) {
        try (Socket s = server.accept()) {
            readHead(new BufferedInputStream(s.getInputStream()));
            OutputStream out = s.getOutputStream();
            out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=us-ascii\r\nContent-Length: " + LENGTH
                    + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            byte[] block = new byte[1 << 16];
            for (long p = 0; p < LENGTH; p += block.length) {
                int n = (int) Math.min(block.length, LENGTH - p);
                fill(p, block, n);
                out.write(block, 0, n);
            }
            out.flush();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The head up to its blank line (at most 64 KiB). */
    static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("closed inside a head: " + head);
            }
            head.write(b);
            if (head.size() > 65536) {
                throw new IOException("head too long");
            }
            state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    /** A chunked body's data (RFC 9112 §7.1), ending at the last chunk; trailers are not expected. */
    private static final class Dechunked extends InputStream {
        private final InputStream in;
        private long left;
        private boolean done;

        Dechunked(InputStream in) {
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (done) {
                return -1;
            }
            if (left == 0) {
                String size = line();
                left = Long.parseLong(size.split(";", 2)[0].trim(), 16);
                if (left == 0) {
                    line(); // the blank line after the last chunk
                    done = true;
                    return -1;
                }
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n < 0) {
                throw new EOFException("closed inside a chunk");
            }
            left -= n;
            if (left == 0) {
                line(); // CRLF after the data
            }
            return n;
        }

        private String line() throws IOException {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < 1024; i++) {
                int c = in.read();
                if (c < 0) {
                    throw new EOFException("closed inside a chunk line");
                }
                if (c == '\n') {
                    return sb.toString().strip();
                }
                sb.append((char) c);
            }
            throw new IOException("chunk line too long");
        }
    }

    /** Counts the compressed bytes. */
    private static final class Counting extends InputStream {
        private final InputStream in;
        long count;

        Counting(InputStream in) {
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            count += b < 0 ? 0 : 1;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            count += Math.max(n, 0);
            return n;
        }
    }
}
