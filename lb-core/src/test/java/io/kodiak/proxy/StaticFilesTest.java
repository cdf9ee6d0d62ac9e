package io.kodiak.proxy;

import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.testing.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.zip.GZIPInputStream;

import static io.kodiak.proxy.StaticSiteFixture.get;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A static route's HTTP over real sockets: types, validators and 304, ranges (206, 416,
 * If-Range), HEAD, precompressed siblings, index files and the slash redirect, 405, and the
 * fallback to the pool. Refusals and the sending paths are in {@link StaticFilesSafetyTest}.
 */
@Timeout(60)
class StaticFilesTest {
    private static final String LAST_MODIFIED = "Tue, 02 Jan 2024 03:04:05 GMT";
    private static final String A_TXT = "hello, static world\n";
    private static final String A_ETAG = "\"" + Long.toHexString(StaticSiteFixture.MTIME) + "-" + Long.toHexString(A_TXT.length()) + "\"";
    private StaticSiteFixture site;
    private RawClient c;

    @BeforeEach
    void start(@TempDir Path dir) throws Exception {
        site = new StaticSiteFixture(dir, "");
        c = site.client();
    }

    @AfterEach
    void stop() throws Exception {
        c.close();
        site.close();
    }

    private RawResponse ask(String target, String... fields) throws Exception {
        return c.exchange(get(target, fields));
    }

    @Test
    void aFileComesWithItsTypeLengthAndValidators() throws Exception {
        RawResponse r = ask("/static/a.txt");
        assertEquals(200, r.status());
        assertEquals(A_TXT, r.bodyString());
        assertEquals("text/plain; charset=utf-8", r.header("Content-Type"));
        assertEquals(Integer.toString(A_TXT.length()), r.header("Content-Length"));
        assertEquals(LAST_MODIFIED, r.header("Last-Modified"));
        assertEquals(A_ETAG, r.header("ETag"));
        assertEquals("bytes", r.header("Accept-Ranges"));
        assertEquals("Accept-Encoding", r.header("Vary")); // the route has precompressed siblings
        assertTrue(r.header("Date") != null);
    }

    @Test
    void typesComeFromTheExtension() throws Exception {
        String[][] cases = {
                {"/static/app.css", "text/css; charset=utf-8"}, {"/static/app.js", "text/javascript; charset=utf-8"},
                {"/static/data.json", "application/json"}, {"/static/logo.svg", "image/svg+xml"},
                {"/static/logo.png", "image/png"}, {"/static/font.woff2", "font/woff2"},
                {"/static/blob.unknownext", "application/octet-stream"}, {"/static/sub/", "text/html; charset=utf-8"},
        };
        for (String[] k : cases) {
            RawResponse r = ask(k[0]);
            assertEquals(200, r.status(), k[0]);
            assertEquals(k[1], r.header("Content-Type"), k[0]);
        }
    }

    @Test
    void ifNoneMatchAnswers304ByWeakComparison() throws Exception {
        for (String inm : new String[] {A_ETAG, "W/" + A_ETAG, "\"x\", " + A_ETAG, "*"}) {
            RawResponse r = ask("/static/a.txt", "If-None-Match: " + inm);
            assertEquals(304, r.status(), inm);
            assertEquals(A_ETAG, r.header("ETag"));
            assertEquals(LAST_MODIFIED, r.header("Last-Modified"));
            assertNull(r.header("Content-Length"), "a 304 declares no length it does not have");
        }
        assertEquals(200, ask("/static/a.txt", "If-None-Match: \"other\"").status());
        // If-None-Match wins over If-Modified-Since (RFC 9110 §13.1.3).
        assertEquals(200, ask("/static/a.txt", "If-None-Match: \"other\"", "If-Modified-Since: " + LAST_MODIFIED).status());
        // The connection is still in step after the bodiless answers.
        assertEquals(A_TXT, ask("/static/a.txt").bodyString());
    }

    @Test
    void ifModifiedSinceAnswers304WhenTheFileIsNotNewer() throws Exception {
        assertEquals(304, ask("/static/a.txt", "If-Modified-Since: " + LAST_MODIFIED).status());
        assertEquals(304, ask("/static/a.txt", "If-Modified-Since: Wed, 03 Jan 2024 00:00:00 GMT").status());
        assertEquals(304, ask("/static/a.txt", "If-Modified-Since: Tuesday, 02-Jan-24 03:04:05 GMT").status());
        assertEquals(200, ask("/static/a.txt", "If-Modified-Since: Mon, 01 Jan 2024 00:00:00 GMT").status());
        assertEquals(200, ask("/static/a.txt", "If-Modified-Since: yesterday").status());
    }

    @Test
    void oneRangeIs206AndAnUnsatisfiableOne416() throws Exception {
        int len = A_TXT.length();
        RawResponse r = ask("/static/a.txt", "Range: bytes=0-4");
        assertEquals(206, r.status());
        assertEquals("hello", r.bodyString());
        assertEquals("bytes 0-4/" + len, r.header("Content-Range"));
        assertEquals("5", r.header("Content-Length"));
        r = ask("/static/a.txt", "Range: bytes=-6");
        assertEquals(206, r.status());
        assertEquals("world\n", r.bodyString());
        r = ask("/static/a.txt", "Range: bytes=7-");
        assertEquals("static world\n", r.bodyString());
        assertEquals("bytes 7-" + (len - 1) + "/" + len, r.header("Content-Range"));
        r = ask("/static/a.txt", "Range: bytes=5-1000");
        assertEquals("bytes 5-" + (len - 1) + "/" + len, r.header("Content-Range"));
        r = ask("/static/a.txt", "Range: bytes=" + len + "-");
        assertEquals(416, r.status());
        assertEquals("bytes */" + len, r.header("Content-Range"));
        assertEquals(416, ask("/static/a.txt", "Range: bytes=-0").status());
        // Several ranges, a malformed one, another unit: the whole file.
        for (String range : new String[] {"bytes=0-1,3-4", "bytes=5-2", "bytes=x-y", "items=0-1"}) {
            r = ask("/static/a.txt", "Range: " + range);
            assertEquals(200, r.status(), range);
            assertEquals(A_TXT, r.bodyString(), range);
        }
    }

    @Test
    void ifRangeLetsTheRangeThroughOnlyForTheCurrentFile() throws Exception {
        assertEquals(206, ask("/static/a.txt", "Range: bytes=0-4", "If-Range: " + A_ETAG).status());
        assertEquals(206, ask("/static/a.txt", "Range: bytes=0-4", "If-Range: " + LAST_MODIFIED).status());
        RawResponse r = ask("/static/a.txt", "Range: bytes=0-4", "If-Range: \"stale\"");
        assertEquals(200, r.status());
        assertEquals(A_TXT, r.bodyString());
        assertEquals(200, ask("/static/a.txt", "Range: bytes=0-4", "If-Range: W/" + A_ETAG).status(), "weak tags never match");
        assertEquals(200, ask("/static/a.txt", "Range: bytes=0-4", "If-Range: Mon, 01 Jan 2024 00:00:00 GMT").status());
    }

    @Test
    void headSaysWhatGetWouldWithoutABody() throws Exception {
        c.send("HEAD /static/a.txt HTTP/1.1\r\nHost: t\r\nRange: bytes=0-1\r\n\r\n");
        RawResponse r = c.readResponse("HEAD");
        assertEquals(200, r.status(), "Range is GET's only");
        assertEquals(Integer.toString(A_TXT.length()), r.header("Content-Length"));
        assertEquals(A_ETAG, r.header("ETag"));
        assertEquals(A_TXT, ask("/static/a.txt").bodyString(), "no body bytes were sent after the HEAD's head");
    }

    @Test
    void aPrecompressedSiblingIsServedToClientsThatAcceptIt() throws Exception {
        byte[] css = Files.readAllBytes(site.site.resolve("app.css"));
        RawResponse r = ask("/static/app.css", "Accept-Encoding: gzip, deflate");
        assertEquals(200, r.status());
        assertEquals("gzip", r.header("Content-Encoding"));
        assertEquals("text/css; charset=utf-8", r.header("Content-Type"));
        assertEquals("Accept-Encoding", r.header("Vary"));
        assertEquals(Long.toString(Files.size(site.site.resolve("app.css.gz"))), r.header("Content-Length"));
        try (var in = new GZIPInputStream(new java.io.ByteArrayInputStream(r.body().bytes()))) {
            assertArrayEquals(css, in.readAllBytes());
        }
        assertEquals("br", ask("/static/app.css", "Accept-Encoding: gzip, br").header("Content-Encoding"));
        assertEquals("br", ask("/static/app.css", "Accept-Encoding: *").header("Content-Encoding"));
        assertEquals("gzip", ask("/static/app.css", "Accept-Encoding: br;q=0.5, gzip").header("Content-Encoding"));
        assertEquals("gzip", ask("/static/app.css", "Accept-Encoding: br;q=0", "Accept-Encoding: x-gzip").header("Content-Encoding"));
        for (String refused : new String[] {"gzip;q=0, br;q=0", "identity", "*;q=0"}) {
            r = ask("/static/app.css", "Accept-Encoding: " + refused);
            assertNull(r.header("Content-Encoding"), refused);
            assertArrayEquals(css, r.body().bytes(), refused);
        }
        assertNull(ask("/static/a.txt", "Accept-Encoding: gzip, br").header("Content-Encoding"), "no sibling");
        // A range applies to the sibling; its validators are the sibling's.
        r = ask("/static/app.css", "Accept-Encoding: gzip", "Range: bytes=0-1");
        assertEquals(206, r.status());
        assertArrayEquals(new byte[] {0x1f, (byte) 0x8b}, r.body().bytes());
        assertTrue(!r.header("ETag").equals(ask("/static/app.css").header("ETag")), "each representation has its own ETag");
        // Without a precompressed setting the route never looks for siblings.
        assertNull(ask("/fb/app.css", "Accept-Encoding: gzip").header("Content-Encoding"));
    }

    @Test
    void aDirectoryServesItsIndexAndIsRedirectedToItsSlashForm() throws Exception {
        RawResponse r = ask("/static/sub");
        assertEquals(301, r.status());
        assertEquals("/static/sub/", r.header("Location"));
        assertEquals("/static/sub/?v=1&w=2", ask("/static/sub?v=1&w=2").header("Location"));
        assertEquals("<h1>sub</h1>\n", ask("/static/sub/").bodyString());
        assertEquals(404, ask("/static/empty/").status(), "no listings");
        assertEquals(404, ask("/files/sub/").status(), "index: none");
        assertEquals(404, ask("/static/a.txt/").status(), "a file is not a directory");
        assertEquals(301, ask("/files").status(), "the root of a prefix without its slash");
        assertEquals("/files/", ask("/files").header("Location"));
        assertEquals(A_TXT, ask("/static/sub/inlink.txt").bodyString(), "a link inside the root is followed");
    }

    @Test
    void onlyGetAndHeadAreAnswered() throws Exception {
        for (String m : new String[] {"POST", "PUT", "DELETE", "OPTIONS"}) {
            c.send(m + " /static/a.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
            RawResponse r = c.readResponse();
            assertEquals(405, r.status(), m);
            assertEquals("GET, HEAD", r.header("Allow"));
        }
    }

    @Test
    void withFallbackAMissGoesToThePool() throws Exception {
        assertEquals(A_TXT, ask("/fb/a.txt").bodyString());
        RawResponse r = ask("/fb/missing.txt?q=1");
        assertEquals(200, r.status());
        assertEquals("app", r.header("X-Upstream"));
        RecordedRequest seen = site.app.takeRequest(Duration.ofSeconds(10));
        assertEquals("/fb/missing.txt?q=1", seen.target(), "forwarded as it came");
        c.send("POST /fb/a.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi");
        assertEquals("app", c.readResponse().header("X-Upstream"), "other methods are the app's");
        assertEquals(404, ask("/static/missing.txt").status(), "without fallback: 404");
    }

    /** Response rules on a file see the exchange's variables: one request ID, the route, the client. */
    @Test
    void responseRulesOnAFileSeeTheExchangesVariables(@TempDir Path dir) throws Exception {
        try (StaticSiteFixture withRules = new StaticSiteFixture(Files.createDirectories(dir.resolve("with-rules")),
                "    request-id: {echo: true}\n"
                        + "    response-headers: {set: {X-Rid: $request_id, X-Route: '$route', X-Client: $remote_addr}}\n");
             RawClient client = withRules.client()) {
            RawResponse r = client.exchange(StaticSiteFixture.get("/static/a.txt"));
            assertEquals(200, r.status());
            assertEquals("routes[0]", r.header("X-Route"));
            assertEquals("127.0.0.1", r.header("X-Client"));
            assertEquals(r.header("X-Request-ID"), r.header("X-Rid"), "one ID per exchange");
        }
    }

    /** A static route's own 404, 403 and 405 take the error pages, as nginx's error_page does. */
    @Test
    void aStaticRoutesErrorsTakeTheErrorPages(@TempDir Path dir) throws Exception {
        Path base = Files.createDirectories(dir.resolve("with-pages"));
        Files.writeString(base.resolve("404.html"), "<h1>no such page</h1>\n");
        Files.writeString(base.resolve("4xx.html"), "<h1>not for you</h1>\n");
        try (StaticSiteFixture withPages = new StaticSiteFixture(base,
                "    error-pages: {\"404\": 404.html, 4xx: 4xx.html}\n");
             RawClient client = withPages.client()) {
            RawResponse missing = client.exchange(StaticSiteFixture.get("/static/missing.txt"));
            assertEquals(404, missing.status());
            assertEquals("<h1>no such page</h1>\n", missing.bodyString());
            assertEquals("text/html; charset=utf-8", missing.header("Content-Type"));
            RawResponse dotfile = client.exchange(StaticSiteFixture.get("/static/.env"));
            assertEquals(403, dotfile.status());
            assertEquals("<h1>not for you</h1>\n", dotfile.bodyString());
            RawResponse post = client.exchange("POST /static/a.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
            assertEquals(405, post.status());
            assertEquals("GET, HEAD", post.header("Allow"), "the filter's own fields stay");
            assertEquals("<h1>not for you</h1>\n", post.bodyString());
            assertEquals(200, client.exchange(StaticSiteFixture.get("/static/a.txt")).status(), "still served");
        }
    }
}
