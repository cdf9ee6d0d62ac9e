package io.kodiak.proxy;

import io.kodiak.filter.BodyTransform;
import io.kodiak.filter.Filters;
import io.kodiak.filter.LogFilter;
import io.kodiak.filter.RequestFilter;
import io.kodiak.filter.ResponseFilter;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.tls.TestCerts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

import static io.kodiak.proxy.StaticSiteFixture.SECRET;
import static io.kodiak.proxy.StaticSiteFixture.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a static route refuses and how it sends, over real sockets: hostile paths written raw (no
 * client normalises them), links and dotfiles, a 50 MB file by sendfile and over TLS, clients
 * that leave in the middle of a file (the file is closed), and response filters that edit the
 * head and rewrite the body of a file as they do an upstream's.
 */
@Timeout(120)
class StaticFilesSafetyTest {
    private static final long BIG = 50L << 20;
    @TempDir
    Path dir;
    private StaticSiteFixture site;

    @AfterEach
    void stop() {
        if (site != null) {
            site.close();
        }
    }

    private StaticSiteFixture start(String listenerExtra) throws Exception {
        site = new StaticSiteFixture(dir, listenerExtra);
        return site;
    }

    @Test
    void noPathLeadsOutOfTheRootNorToADotfile() throws Exception {
        start("");
        List<String> hostile = List.of(
                "/static/../secret.txt", "/static/%2e%2e/secret.txt", "/static/%2E%2E/secret.txt", "/static/.%2e/secret.txt",
                "/static/..%2fsecret.txt", "/static/..%2Fsecret.txt", "/static/%2e%2e%2fsecret.txt",
                "/static/..%5csecret.txt", "/static/..%5Csecret.txt", "/static/..\\secret.txt",
                "/static/%252e%252e/secret.txt", "/static/%c0%ae%c0%ae/secret.txt", "/static/..;/secret.txt",
                "/static/sub/../../secret.txt", "/static/sub/%2e%2e/%2e%2e/secret.txt", "/static/....//secret.txt",
                "/static//etc/passwd", "/static/%2fetc%2fpasswd", "/static/%2Fetc/passwd", "/static/a.txt%00.png",
                "/static/%00", "/static/sub%00/index.html",
                "/static/out", "/static/outdir/secret.txt", "/static/outdir/", "/static/sub/dotlink",
                "/static/.env", "/static/.git/config", "/static/%2egit/config", "/static/%2Eenv", "/static/sub/../.env",
                "/files../secret.txt", "/files..%2fsecret.txt", "/filesx", "/files%2f..%2fsecret.txt",
                "/static/" + "a".repeat(300), "/static/" + "%e2%82%ac".repeat(90) + ".txt",
                "/static/" + "d/".repeat(400) + "x", "/static/sub/index.html/", "/static/" + "\u00e9");
        assertTrue(hostile.size() >= 15);
        for (String path : hostile) {
            try (RawClient c = site.client()) {
                c.send(("GET " + path + " HTTP/1.1\r\nHost: t\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                RawResponse r = c.readResponse();
                assertTrue(r.status() == 400 || r.status() == 403 || r.status() == 404, path + " -> " + r.status());
                assertFalse(new String(r.body().bytes(), StandardCharsets.ISO_8859_1).contains(SECRET), path);
            }
        }
        assertEquals(0, site.app.requestsReceived(), "nothing reached the pool");
        try (RawClient c = site.client()) {
            assertEquals(403, c.exchange(get("/static/.env")).status(), "dotfiles: deny");
            assertEquals(403, c.exchange(get("/static/sub/dotlink")).status(), "a link to a dotfile is a dotfile");
            assertEquals(404, c.exchange(get("/static/out")).status(), "a link out of the root is not there");
            // The switches open both, for the sites that want them.
            assertTrue(c.exchange(get("/open/out")).bodyString().contains(SECRET), "follow-symlinks: true");
            assertTrue(c.exchange(get("/open/.env")).bodyString().contains(SECRET), "dotfiles: allow");
        }
    }

    @Test
    void aLargeFileArrivesIntactBySendfileAndTheConnectionGoesOn() throws Exception {
        start("");
        Path big = site.random("big.bin", BIG);
        try (RawClient c = site.client().bodyCaptureLimit(0)) {
            c.send(get("/static/big.bin") + get("/static/a.txt")); // pipelined behind it
            RawResponse r = c.readResponse();
            assertEquals(200, r.status());
            assertEquals(BIG, r.body().length());
            assertEquals(sha256(big), r.body().sha256());
            assertEquals(19 + 1, c.readResponse().body().length());
            r = c.exchange(get("/static/big.bin", "Range: bytes=" + (BIG - 100_000) + "-"));
            assertEquals(206, r.status());
            assertEquals(100_000, r.body().length());
        }
    }

    @Test
    void aClientThatLeavesInTheMiddleOfAFileGetsItClosed() throws Exception {
        start("");
        site.random("big.bin", BIG);
        // 2 MiB: queued whole at once (sendfile runs that far ahead), so the exchange is over and
        // only the queued segments still hold the file when the client leaves (unless the kernel
        // took it all already).
        site.random("queued.bin", 2L << 20);
        for (String name : new String[] {"big.bin", "queued.bin"}) {
            for (boolean reset : new boolean[] {true, false}) {
                leaveEarly(site.site.resolve(name), reset);
            }
        }
        try (RawClient c = site.client()) {
            assertEquals(200, c.exchange(get("/static/a.txt")).status());
        }
    }

    /** Asks for {@code big}, reads 256 KiB of the answer and leaves; the file must be closed after. */
    private void leaveEarly(Path big, boolean reset) throws Exception {
        java.net.Socket c = new java.net.Socket();
        c.setReceiveBufferSize(16 * 1024); // so the answer cannot all sit in the kernel's buffers
        c.connect(new java.net.InetSocketAddress("127.0.0.1", site.port()));
        c.getOutputStream().write(get("/static/" + big.getFileName()).getBytes(StandardCharsets.US_ASCII));
        InputStream in = c.getInputStream();
        byte[] buf = new byte[1 << 16];
        long read = 0;
        while (read < (1 << 18)) {
            int n = in.read(buf);
            assertTrue(n > 0);
            read += n;
        }
        if (big.getFileName().toString().equals("big.bin")) { // 2 MiB may already sit whole in the kernel's buffers
            assertTrue(openHandles(big) >= 1, "the file is open while it is sent");
        }
        if (reset) {
            c.setSoLinger(true, 0); // RST, as a crashing client
        }
        c.close();
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (openHandles(big) > 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(0, openHandles(big), big.getFileName() + " closed after the client left (reset: " + reset + ")");
    }

    @Test
    void aTlsListenerSendsTheSameBytes() throws Exception {
        TestCerts certs = new TestCerts(Files.createDirectories(dir.resolve("certs")));
        Path[] pair = certs.leaf("ec", "example.test");
        start("    tls: {cert: " + certs.fullchain(pair[0]) + ", key: " + pair[1] + "}\n");
        Path big = site.random("big.bin", BIG);
        SSLSocket s = (SSLSocket) certs.clientContext().getSocketFactory().createSocket("127.0.0.1", site.port());
        SSLParameters p = s.getSSLParameters();
        p.setServerNames(List.of(new SNIHostName("example.test")));
        s.setSSLParameters(p);
        try (RawClient c = RawClient.over(s).bodyCaptureLimit(0)) {
            String host = "Host: example.test\r\n";
            c.send("GET /static/big.bin HTTP/1.1\r\n" + host + "\r\nGET /static/a.txt HTTP/1.1\r\n" + host
                    + "Range: bytes=0-4\r\n\r\n");
            RawResponse r = c.readResponse();
            assertEquals(200, r.status());
            assertEquals(BIG, r.body().length());
            assertEquals(sha256(big), r.body().sha256());
            r = c.readResponse();
            assertEquals(206, r.status());
            assertEquals(sha256Of("hello".getBytes(StandardCharsets.US_ASCII)), r.body().sha256());
        }
    }

    @Test
    void responseFiltersEditAndRewriteAFileAsTheyDoAnUpstreamResponse() throws Exception {
        start("");
        Path big = site.random("big.bin", 5L << 20);
        ResponseFilter upper = r -> {
            r.clientFields().set("X-Filtered", "yes").remove("Accept-Ranges");
            String type = r.head().fields().get("content-type");
            return r.hasBody() && type != null && type.startsWith("text/plain") ? new Upper() : null;
        };
        ResponseFilter identity = r -> "application/octet-stream".equals(r.head().fields().get("content-type")) && r.hasBody()
                ? new Identity() : null;
        site.server.filters("front", new Filters(new RequestFilter[0], new ResponseFilter[] {upper, identity}, new LogFilter[0]));
        try (RawClient c = site.client().bodyCaptureLimit(0)) {
            RawResponse r = c.exchange(get("/static/a.txt"));
            assertEquals(200, r.status());
            assertEquals("yes", r.header("X-Filtered"));
            assertEquals(null, r.header("Accept-Ranges"));
            assertEquals("chunked", r.header("Transfer-Encoding"), "a rewritten body has no known length");
            assertEquals(sha256Of("HELLO, STATIC WORLD\n".getBytes(StandardCharsets.US_ASCII)), r.body().sha256());
            r = c.exchange(get("/static/a.txt", "If-None-Match: *"));
            assertEquals(304, r.status());
            assertEquals("yes", r.header("X-Filtered"), "the filters see 304s too");
            r = c.exchange(get("/static/big.bin"));
            assertEquals(sha256(big), r.body().sha256(), "the read path through a transform");
            site.write("empty.txt", "");
            r = c.exchange(get("/static/empty.txt"));
            assertEquals(200, r.status(), "an empty body through a transform still gets its head and last chunk");
            assertEquals(0, r.body().length());
            assertEquals("yes", r.header("X-Filtered"));
        }
        try (RawClient c = site.client()) { // HTTP/1.0: a body of unknown length ends with the connection
            c.send("GET /static/a.txt HTTP/1.0\r\n\r\n");
            RawResponse r = c.readResponse();
            assertEquals("HELLO, STATIC WORLD\n", r.bodyString());
            assertEquals(RawClient.Closure.EOF, c.awaitClose());
        }
    }

    private static final class Upper implements BodyTransform {
        @Override
        public ByteBuffer apply(ByteBuffer in) {
            return ByteBuffer.wrap(StandardCharsets.ISO_8859_1.decode(in).toString().toUpperCase(Locale.ROOT)
                    .getBytes(StandardCharsets.ISO_8859_1));
        }

        @Override
        public ByteBuffer finish() {
            return null;
        }
    }

    private static final class Identity implements BodyTransform {
        @Override
        public ByteBuffer apply(ByteBuffer in) {
            return ByteBuffer.allocate(in.remaining()).put(in).flip();
        }

        @Override
        public ByteBuffer finish() {
            return null;
        }
    }

    /** How many of this process's file descriptors are open on {@code file} (Linux /proc). */
    private static long openHandles(Path file) throws Exception {
        Path real = file.toRealPath();
        long n = 0;
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                try {
                    if (Files.readSymbolicLink(fd).equals(real)) {
                        n++;
                    }
                } catch (java.io.IOException e) {
                    // closed while listing
                }
            }
        }
        return n;
    }

    private static String sha256(Path p) throws Exception {
        MessageDigest d = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(p)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                d.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(d.digest());
    }

    private static String sha256Of(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}
