package io.kodiak.proxy;

import io.kodiak.config.ConfigLoader;
import io.kodiak.testing.Action;
import io.kodiak.testing.HeaderFields;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.testing.ScriptedUpstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Compression decides on the response as the filters before it leave it, not as the upstream sent
 * it: a header rule that removes ETag, adds Vary or sets no-transform, and an error page put in
 * place of the upstream's body, are what it sees; and a body with any Content-Encoding field is
 * never compressed again.
 */
@Timeout(60)
class CompressionAfterRulesTest {
    private static final byte[] PAGE = CompressionTest.page(5000);
    @TempDir
    Path dir;
    private ScriptedUpstream app;
    private ProxyServer server;

    private void start(String routes) throws Exception {
        app = ScriptedUpstream.start("app");
        Files.writeString(dir.resolve("500.html"), "<html>sorry</html>".repeat(200));
        Path file = dir.resolve("kodiak.yaml");
        Files.writeString(file, "admin: {listen: off, state-file: off}\nmetrics: off\n"
                + "listeners:\n  - name: front\n    address: 127.0.0.1:0\n"
                + "    compression: {brotli: false}\n"
                + "    routes:\n" + routes
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

    /** A route's response-headers removes ETag: compression must not put the upstream's back (weakened). */
    @Test
    void compressionResurrectsAnEtagARuleRemoved() throws Exception {
        start("      - {pool: app, response-headers: {remove: [ETag]}}\n");
        app.handler(r -> Action.respond(200, HeaderFields.of("Content-Type", "text/html", "ETag", "\"v1\""), PAGE));
        assertNull(get("/", "Accept-Encoding: identity").header("ETag"), "rule works when not compressed");
        RawResponse r = get("/", "Accept-Encoding: gzip");
        assertEquals("gzip", r.header("Content-Encoding"));
        assertNull(r.header("ETag"), "ETag removed by the rule came back: " + r.header("ETag"));
    }

    /** An intercepted upstream 500 gets the page, compressed, without the traceback's ETag. */
    @Test
    void interceptedErrorPageGetsTheUpstreamsEtag() throws Exception {
        start("      - {pool: app, error-pages: {\"500\": 500.html, intercept: true}}\n");
        app.handler(r -> Action.respond(500, HeaderFields.of("Content-Type", "text/html", "ETag", "\"trace\""), PAGE));
        RawResponse r = get("/", "Accept-Encoding: gzip");
        assertEquals(500, r.status());
        assertNull(r.header("ETag"), "page carries upstream ETag: " + r.header("ETag") + " CE=" + r.header("Content-Encoding"));
    }

    /** A rule adds to Vary, the upstream sent one too: compression adds Accept-Encoding and keeps both. */
    @Test
    void compressionOverwritesAVaryARuleSet() throws Exception {
        start("      - {pool: app, response-headers: {add: {Vary: X-Tenant}}}\n");
        app.handler(r -> Action.respond(200, HeaderFields.of("Content-Type", "text/html", "Vary", "Cookie"), PAGE));
        RawResponse r = get("/", "Accept-Encoding: gzip");
        String all = String.join(", ", r.headers().values("Vary"));
        assertEquals("gzip", r.header("Content-Encoding"));
        assertEquals(true, all.contains("X-Tenant") && all.contains("Cookie") && all.contains("Accept-Encoding"),
                "Vary: " + r.headers().values("Vary"));
    }

    /** A rule sets Cache-Control: no-transform: the body goes as it is. */
    @Test
    void noTransformAddedByARuleIsIgnored() throws Exception {
        start("      - {pool: app, response-headers: {set: {Cache-Control: no-transform}}}\n");
        app.handler(r -> Action.respond(200, HeaderFields.of("Content-Type", "text/html"), PAGE));
        RawResponse r = get("/", "Accept-Encoding: gzip");
        assertEquals("no-transform", r.header("Cache-Control"));
        assertNull(r.header("Content-Encoding"), "compressed despite no-transform on the wire");
    }

    /** An empty Content-Encoding field before the real one: still encoded, never compressed again. */
    @Test
    void secondContentEncodingFieldIsMissed() throws Exception {
        start("      - {pool: app}\n");
        byte[] gz = gzip(PAGE);
        app.handler(r -> Action.respond(200, HeaderFields.of("Content-Type", "text/html", "Content-Encoding", "",
                "Content-Encoding", "gzip"), gz));
        RawResponse r = get("/", "Accept-Encoding: gzip");
        assertEquals(List.of("", "gzip"), r.headers().values("Content-Encoding"), "the upstream's, untouched");
        org.junit.jupiter.api.Assertions.assertArrayEquals(gz, r.body().bytes(), "not compressed twice");
    }

    private static byte[] gzip(byte[] b) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream g = new java.util.zip.GZIPOutputStream(out)) {
            g.write(b);
        }
        return out.toByteArray();
    }
}
