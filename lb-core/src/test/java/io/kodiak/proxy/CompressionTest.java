package io.kodiak.proxy;

import com.aayushatharva.brotli4j.decoder.BrotliInputStream;
import io.kodiak.config.ConfigLoader;
import io.kodiak.testing.Action;
import io.kodiak.testing.BodyFraming;
import io.kodiak.testing.HeaderFields;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.testing.ScriptedUpstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The compression section over real sockets: a client with {@code Accept-Encoding} gets the
 * upstream's body compressed, decompresses it and compares; each rule that leaves a response
 * alone; the fields a compressed response gains and loses; one compression per response when
 * listener and route both configure it; HTTP/1.0 clients.
 */
@Timeout(60)
class CompressionTest {
    private static final byte[] PAGE = page(5000);

    @TempDir
    Path dir;
    private ScriptedUpstream app;
    private ProxyServer server;

    static byte[] page(int length) {
        StringBuilder sb = new StringBuilder("<!doctype html><table>\n");
        for (int i = 0; sb.length() < length; i++) {
            sb.append("<tr><td>").append(i).append("</td><td>row ").append(i * 31 % 97).append(" of the table</td></tr>\n");
        }
        return sb.substring(0, length).getBytes(StandardCharsets.US_ASCII);
    }

    /** Kodiak with {@code listener} as the listener's compression section (or none) and three routes. */
    private void start(String listener) throws Exception {
        start(listener, "");
    }

    /** @param more further lines of the listener, and routes listed before the three */
    private void start(String listener, String more) throws Exception {
        app = ScriptedUpstream.start("app");
        Path file = dir.resolve("kodiak.yaml");
        Files.writeString(file, "admin: {listen: off, state-file: off}\nmetrics: off\n"
                + "listeners:\n  - name: front\n    address: 127.0.0.1:0\n"
                + (listener == null ? "" : "    compression: " + listener + "\n")
                + more
                + "    routes:\n"
                + "      - {path-prefix: /plain/, pool: app, compression: false}\n"
                + "      - {path-prefix: /best/, pool: app, compression: {gzip: 9, brotli: false}}\n"
                + "      - {pool: app}\n"
                + "pools:\n  app: {health-check: {type: none}, upstreams: [{name: app, address: \"" + app.hostPort() + "\"}]}\n");
        server = ProxyServer.start(ConfigLoader.load(file));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        if (app != null) {
            app.close();
        }
    }

    private void answer(HeaderFields fields, byte[] body) {
        app.handler(r -> Action.respond(200, fields, body));
    }

    private static HeaderFields html(String... more) {
        HeaderFields f = HeaderFields.of("Content-Type", "text/html; charset=utf-8");
        for (int i = 0; i < more.length; i += 2) {
            f = f.with(more[i], more[i + 1]);
        }
        return f;
    }

    private RawResponse get(String path, String... fields) throws IOException {
        try (RawClient c = RawClient.connect(server.boundAddress("front").getPort())) {
            StringBuilder req = new StringBuilder("GET " + path + " HTTP/1.1\r\nHost: t\r\n");
            for (String f : fields) {
                req.append(f).append("\r\n");
            }
            c.send(req.append("\r\n").toString());
            return c.readResponse();
        }
    }

    static byte[] gunzip(byte[] b) throws IOException {
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(b))) {
            return in.readAllBytes();
        }
    }

    static byte[] unbrotli(byte[] b) throws IOException {
        try (InputStream in = new BrotliInputStream(new ByteArrayInputStream(b))) {
            return in.readAllBytes();
        }
    }

    /** A response passed as the upstream sent it: same bytes, same length, no coding added. */
    private static void assertUntouched(RawResponse r, byte[] body) {
        assertNull(r.header("Content-Encoding"), r.toString());
        assertEquals(Integer.toString(body.length), r.header("Content-Length"));
        assertArrayEquals(body, r.body().bytes());
    }

    @Test
    void gzipForAClientThatAcceptsOnlyGzip() throws Exception {
        start("true");
        answer(html(), PAGE);
        RawResponse r = get("/", "Accept-Encoding: gzip");
        assertEquals(200, r.status());
        assertEquals("gzip", r.header("Content-Encoding"));
        assertEquals(BodyFraming.CHUNKED, r.framing(), "the compressed length is not known in advance");
        assertNull(r.header("Content-Length"));
        assertEquals("Accept-Encoding", r.header("Vary"));
        assertArrayEquals(PAGE, gunzip(r.body().bytes()));
        assertEquals("gzip", app.takeRequest(java.time.Duration.ofSeconds(5)).header("Accept-Encoding"),
                "the upstream still sees what the client accepts");
    }

    @Test
    void brotliWhenTheClientAcceptsBoth() throws Exception {
        start("true");
        answer(html(), PAGE);
        RawResponse r = get("/", "Accept-Encoding: gzip, deflate, br");
        assertEquals("br", r.header("Content-Encoding"));
        assertArrayEquals(PAGE, unbrotli(r.body().bytes()));
        RawResponse q = get("/", "Accept-Encoding: br;q=0.5, gzip;q=0.9");
        assertEquals("gzip", q.header("Content-Encoding"), "weights decide");
        assertArrayEquals(PAGE, gunzip(q.body().bytes()));
    }

    @Test
    void weightsOfZeroStarAndNoFieldAtAll() throws Exception {
        start("true");
        answer(html(), PAGE);
        RawResponse refused = get("/", "Accept-Encoding: gzip;q=0, br;q=0");
        assertUntouched(refused, PAGE);
        assertEquals("Accept-Encoding", refused.header("Vary"), "the answer still depended on Accept-Encoding");
        assertEquals("br", get("/", "Accept-Encoding: *").header("Content-Encoding"));
        assertEquals("gzip", get("/", "Accept-Encoding: br;q=0, *").header("Content-Encoding"));
        assertUntouched(get("/", "Accept-Encoding: *;q=0"), PAGE);
        assertUntouched(get("/", "Accept-Encoding: identity"), PAGE);
        RawResponse none = get("/");
        assertUntouched(none, PAGE);
        assertEquals("Accept-Encoding", none.header("Vary"));
        RawResponse split = get("/", "Accept-Encoding: gzip;q=0.1", "accept-encoding: BR");
        assertEquals("br", split.header("Content-Encoding"), "several fields, any case");
    }

    @Test
    void alreadyEncodedBodiesAreLeftAlone() throws Exception {
        start("true");
        byte[] gz = GzipTransformBytes.gzip(PAGE);
        answer(html("Content-Encoding", "gzip"), gz);
        RawResponse r = get("/", "Accept-Encoding: gzip, br");
        assertEquals("gzip", r.header("Content-Encoding"));
        assertEquals(1, r.headers().values("Content-Encoding").size());
        assertArrayEquals(gz, r.body().bytes(), "compressed once, by the upstream");
        assertArrayEquals(PAGE, gunzip(r.body().bytes()));
    }

    @Test
    void rangesAndNoTransformAreLeftAlone() throws Exception {
        start("true");
        byte[] part = java.util.Arrays.copyOf(PAGE, 1000);
        app.handler(req -> Action.respond(206, html("Content-Range", "bytes 0-999/5000", "Accept-Ranges", "bytes"), part));
        RawResponse r = get("/", "Accept-Encoding: gzip", "Range: bytes=0-999");
        assertEquals(206, r.status());
        assertUntouched(r, part);
        assertEquals("bytes", r.header("Accept-Ranges"));

        answer(html("Cache-Control", "public, no-transform"), PAGE);
        assertUntouched(get("/", "Accept-Encoding: gzip"), PAGE);
    }

    @Test
    void bodilessResponsesAreLeftAlone() throws Exception {
        start("true");
        answer(html(), PAGE);
        try (RawClient c = RawClient.connect(server.boundAddress("front").getPort())) {
            c.send("HEAD / HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n\r\n");
            RawResponse r = c.readResponse("HEAD");
            assertEquals(200, r.status());
            assertNull(r.header("Content-Encoding"));
            assertEquals(Integer.toString(PAGE.length), r.header("Content-Length"));
        }
        app.handler(req -> Action.respond(304, html("ETag", "\"v1\""), new byte[0]));
        RawResponse notModified = get("/", "Accept-Encoding: gzip", "If-None-Match: \"v1\"");
        assertEquals(304, notModified.status());
        assertNull(notModified.header("Content-Encoding"));
        assertEquals("\"v1\"", notModified.header("ETag"));
    }

    @Test
    void shortBodiesAndOtherTypesAreLeftAlone() throws Exception {
        start("true");
        byte[] small = java.util.Arrays.copyOf(PAGE, 255);
        answer(html(), small);
        assertUntouched(get("/", "Accept-Encoding: gzip"), small);
        byte[] atMin = java.util.Arrays.copyOf(PAGE, 256);
        answer(html(), atMin);
        assertArrayEquals(atMin, gunzip(get("/", "Accept-Encoding: gzip").body().bytes()), "256 bytes is long enough");

        app.handler(req -> Action.chunked(200, html(), List.of(small)));
        RawResponse chunked = get("/", "Accept-Encoding: gzip");
        assertEquals("gzip", chunked.header("Content-Encoding"), "no Content-Length: the length is not known, so compressed");
        assertArrayEquals(small, gunzip(chunked.body().bytes()));

        answer(HeaderFields.of("Content-Type", "image/png"), PAGE);
        RawResponse png = get("/", "Accept-Encoding: gzip");
        assertUntouched(png, PAGE);
        assertNull(png.header("Vary"), "not a listed type: no client could get it compressed");
        answer(HeaderFields.EMPTY, PAGE);
        assertUntouched(get("/", "Accept-Encoding: gzip"), PAGE);
        answer(HeaderFields.of("Content-Type", "Application/JSON ; charset=UTF-8"), PAGE);
        assertEquals("gzip", get("/", "Accept-Encoding: gzip").header("Content-Encoding"),
                "the media type is compared without parameters, in any case");
    }

    @Test
    void varyGetsAcceptEncodingOnceAndStrongEtagsAreWeakened() throws Exception {
        start("true");
        answer(html("Vary", "Cookie", "Vary", "Origin", "ETag", "\"abc\"", "Accept-Ranges", "bytes"), PAGE);
        RawResponse r = get("/", "Accept-Encoding: gzip");
        // The upstream's Vary fields as they were, and Accept-Encoding in one of its own (RFC 9110
        // §5.3: one list), so that a Vary a header rule made is never rewritten.
        assertEquals(List.of("Cookie", "Origin", "Accept-Encoding"), r.headers().values("Vary"));
        assertEquals("W/\"abc\"", r.header("ETag"));
        assertNull(r.header("Accept-Ranges"), "ranges of the compressed body are not offered");

        answer(html("Vary", "accept-encoding", "ETag", "W/\"weak\""), PAGE);
        RawResponse again = get("/", "Accept-Encoding: gzip");
        assertEquals(List.of("accept-encoding"), again.headers().values("Vary"), "not twice");
        assertEquals("W/\"weak\"", again.header("ETag"));

        answer(html("Vary", "*"), PAGE);
        assertEquals(List.of("*"), get("/", "Accept-Encoding: gzip").headers().values("Vary"));

        answer(html("ETag", "\"abc\""), PAGE);
        assertEquals("\"abc\"", get("/").header("ETag"), "not compressed: the tag stays strong");
    }

    @Test
    void aRouteSectionReplacesTheListenerSection() throws Exception {
        start("true");
        answer(html(), PAGE);
        assertUntouched(get("/plain/x", "Accept-Encoding: gzip, br"), PAGE);
        RawResponse best = get("/best/x", "Accept-Encoding: gzip, br");
        assertEquals("gzip", best.header("Content-Encoding"), "the route's section: gzip only");
        assertEquals(1, best.headers().values("Content-Encoding").size());
        assertArrayEquals(PAGE, gunzip(best.body().bytes()), "compressed once");
        assertEquals("br", get("/other", "Accept-Encoding: gzip, br").header("Content-Encoding"), "the listener's");
    }

    @Test
    void aRouteCompressesWithoutAListenerSection() throws Exception {
        start(null);
        answer(html(), PAGE);
        assertUntouched(get("/other", "Accept-Encoding: gzip"), PAGE);
        assertArrayEquals(PAGE, gunzip(get("/best/x", "Accept-Encoding: gzip").body().bytes()));
    }

    @Test
    void anHttp10ClientGetsACloseDelimitedBody() throws Exception {
        start("{brotli: false}");
        answer(html(), PAGE);
        try (RawClient c = RawClient.connect(server.boundAddress("front").getPort())) {
            c.send("GET / HTTP/1.0\r\nHost: t\r\nAccept-Encoding: gzip\r\n\r\n");
            RawResponse r = c.readResponse();
            assertEquals("gzip", r.header("Content-Encoding"));
            assertEquals(BodyFraming.CLOSE_DELIMITED, r.framing());
            assertNull(r.header("Transfer-Encoding"));
            assertArrayEquals(PAGE, gunzip(r.body().bytes()));
        }
    }

    @Test
    void aKeptAliveConnectionCarriesCompressedAndPlainResponses() throws Exception {
        start("true");
        answer(html(), PAGE);
        try (RawClient c = RawClient.connect(server.boundAddress("front").getPort())) {
            for (int i = 0; i < 3; i++) {
                c.send("GET / HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n\r\n");
                assertArrayEquals(PAGE, gunzip(c.readResponse().body().bytes()));
                c.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
                assertArrayEquals(PAGE, c.readResponse().body().bytes());
            }
        }
    }

    @Test
    void aBodyCutShortEndsTheClientsResponseAndTheNextOneIsWhole() throws Exception {
        start("true");
        String head = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: " + PAGE.length + "\r\n\r\n";
        app.handler(req -> Action.sequence(Action.raw(head + new String(PAGE, 0, 2500, StandardCharsets.ISO_8859_1)),
                Action.close()));
        try (RawClient c = RawClient.connect(server.boundAddress("front").getPort())) {
            c.send("GET / HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n\r\n");
            org.junit.jupiter.api.Assertions.assertThrows(IOException.class, c::readResponse,
                    "no last chunk: the client can tell the body is incomplete");
        }
        // The compressor of the cut response was closed (its native memory freed) with the exchange.
        app.handler(req -> Action.closeDelimited(200, html(), PAGE));
        RawResponse whole = get("/", "Accept-Encoding: gzip");
        assertEquals("gzip", whole.header("Content-Encoding"), "a close-delimited upstream body is compressed too");
        assertArrayEquals(PAGE, gunzip(whole.body().bytes()));
    }

    /**
     * The close hook frees a transform's native memory: called when the body ended and when it
     * was cut short (no finish then). A transform that counts its calls stands in for a compressor.
     */
    @Test
    void aTransformIsClosedWhenItsBodyEndsAndWhenItIsCutShort() throws Exception {
        start(null);
        java.util.concurrent.LinkedBlockingQueue<String> events = new java.util.concurrent.LinkedBlockingQueue<>();
        server.filters("front", new io.kodiak.filter.Filters(new io.kodiak.filter.RequestFilter[0],
                new io.kodiak.filter.ResponseFilter[] {r -> new io.kodiak.filter.BodyTransform() {
                    @Override
                    public java.nio.ByteBuffer apply(java.nio.ByteBuffer in) {
                        java.nio.ByteBuffer copy = java.nio.ByteBuffer.allocate(in.remaining());
                        return copy.put(in).flip();
                    }

                    @Override
                    public java.nio.ByteBuffer finish() {
                        events.add("finish");
                        return null;
                    }

                    @Override
                    public void close() {
                        events.add("close");
                    }
                }}, new io.kodiak.filter.LogFilter[0]));
        answer(html(), PAGE);
        assertArrayEquals(PAGE, get("/").body().bytes());
        assertEquals("finish", events.poll(10, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals("close", events.poll(10, java.util.concurrent.TimeUnit.SECONDS));

        String head = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: " + PAGE.length + "\r\n\r\n";
        app.handler(req -> Action.sequence(Action.raw(head + "partial"), Action.close()));
        try (RawClient c = RawClient.connect(server.boundAddress("front").getPort())) {
            c.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
            org.junit.jupiter.api.Assertions.assertThrows(IOException.class, c::readResponse);
        }
        assertEquals("close", events.poll(10, java.util.concurrent.TimeUnit.SECONDS), "closed although cut short");
        java.util.List<String> rest = new java.util.ArrayList<>();
        events.drainTo(rest);
        org.junit.jupiter.api.Assertions.assertFalse(rest.contains("finish"), "no finish for a cut body: " + rest);
    }

    /**
     * An intercepted error's page replaced the body: the page's type and length decide, and the
     * upstream's ETag, which described the traceback, does not come back (weakened) with it.
     */
    @Test
    void anInterceptedErrorIsJudgedByItsPage() throws Exception {
        byte[] big = page(2000);
        Files.write(dir.resolve("big.html"), big);
        Files.writeString(dir.resolve("tiny.html"), "<p>oops</p>");
        start("true", "    error-pages: {\"500\": big.html, \"503\": tiny.html, intercept: true}\n");
        app.handler(r -> Action.respond(r.target().endsWith("/busy") ? 503 : 500,
                HeaderFields.of("Content-Type", r.target().endsWith("/bin") ? "application/octet-stream" : "text/html",
                        "ETag", "\"traceback-v1\""),
                "Traceback (most recent call last): ...".repeat(100).getBytes(StandardCharsets.US_ASCII)));
        for (String path : List.of("/boom", "/bin")) {
            RawResponse r = get(path, "Accept-Encoding: gzip");
            assertEquals(500, r.status());
            assertEquals("gzip", r.header("Content-Encoding"), path + ": the page is html and long: " + r.rawHeadString());
            assertNull(r.header("ETag"), r.rawHeadString());
            assertEquals("text/html; charset=utf-8", r.header("Content-Type"));
            assertArrayEquals(big, gunzip(r.body().bytes()));
        }
        RawResponse tiny = get("/busy", "Accept-Encoding: gzip");
        assertEquals(503, tiny.status());
        assertNull(tiny.header("Content-Encoding"), "the page is below min-length: " + tiny.rawHeadString());
        assertNull(tiny.header("ETag"));
        assertEquals("<p>oops</p>", tiny.bodyString());
    }

    @Test
    void aReloadTurnsCompressionOnAndOff() throws Exception {
        start(null);
        answer(html(), PAGE);
        assertUntouched(get("/", "Accept-Encoding: gzip"), PAGE);
        Path file = dir.resolve("kodiak.yaml");
        String yaml = Files.readString(file);
        Files.writeString(file, yaml.replace("    address: 127.0.0.1:0\n", "    address: 127.0.0.1:0\n    compression: {brotli: false}\n"));
        List<String> changes = server.reload(ConfigLoader.load(file));
        org.junit.jupiter.api.Assertions.assertFalse(changes.isEmpty(), "the section is a change");
        assertArrayEquals(PAGE, gunzip(get("/", "Accept-Encoding: gzip").body().bytes()));
        Files.writeString(file, yaml);
        server.reload(ConfigLoader.load(file));
        assertUntouched(get("/", "Accept-Encoding: gzip"), PAGE);
    }

    /** gzip as a client-side library makes it, for an upstream that compresses by itself. */
    private static final class GzipTransformBytes {
        static byte[] gzip(byte[] b) throws IOException {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            try (java.util.zip.GZIPOutputStream g = new java.util.zip.GZIPOutputStream(out)) {
                g.write(b);
            }
            return out.toByteArray();
        }
    }
}
