package io.kodiak.proxy;

import io.kodiak.testing.RecordedRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Route precedence over a real socket, nginx's {@code location} rules: an exact path first, then
 * a prefix-over-regex ({@code ^~}) longest prefix, then regular expressions in file order, then
 * the longest prefix; hosts before all of that (exact, wildcard, none); more conditions before
 * fewer at the same path, then file order. And paths that climb with dot segments, plain or
 * encoded, reach the route of where they land, never the one they climbed out of.
 */
@Timeout(60)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RoutePrecedenceTest {
    private RouteHarness k;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        k = new RouteHarness(dir, "127.0.0.1:0", """
                      - {path: /docs/index, pool: exact}
                      - {path-prefix: /docs/, pool: docsprefix}
                      - {path-regex: '\\.(png|jpg)$', pool: images}
                      - {path-regex: '^/docs/.*\\.png$', pool: docspng}
                      - {path-prefix: /static/, prefix-over-regex: true, pool: static}
                      - {path-prefix: /static/admin/, pool: staticadmin}
                      - {path-prefix: /admin/, pool: admin}
                      - {path-prefix: /a/, methods: [POST], pool: apost}
                      - {path-prefix: /a/, pool: aplain}
                      - {path-prefix: /a/, headers: {X-A: true}, pool: aheader}
                      - {path-prefix: /a/b/, pool: ab}
                      - {host: shop.example.com, path-prefix: /a/, pool: shop}
                      - {host: '*.example.com', pool: wildall}
                      - {pool: fallback}
                """, "exact", "docsprefix", "images", "docspng", "static", "staticadmin", "admin", "apost", "aplain",
                "aheader", "ab", "shop", "wildall", "fallback");
    }

    @AfterAll
    void stop() {
        if (k != null) {
            k.close();
        }
    }

    @ParameterizedTest(name = "{0} {1} {2} -> {4}")
    @CsvSource(delimiter = '|', value = {
        // an exact path beats everything on its host
        "GET  | x                | /docs/index            |        | exact",
        "GET  | x                | /docs/index?q=.png     |        | exact",
        // a regex beats the longest prefix; the first regex in the file wins
        "GET  | x                | /docs/index.png        |        | images",
        "GET  | x                | /docs/other            |        | docsprefix",
        "GET  | x                | /x.jpg                 |        | images",
        // prefix-over-regex: the longest prefix, if it has it, beats the regexes
        "GET  | x                | /static/logo.png       |        | static",
        // ... but a longer prefix without it lets the regexes go first again
        "GET  | x                | /static/admin/logo.png |        | images",
        "GET  | x                | /static/admin/x        |        | staticadmin",
        // more conditions first at the same prefix, then file order; a longer prefix beats them
        "POST | x                | /a/                    |        | apost",
        "POST | x                | /a/                    | X-A: 1 | apost",
        "GET  | x                | /a/                    | X-A: 1 | aheader",
        "GET  | x                | /a/                    |        | aplain",
        "POST | x                | /a/b/c                 |        | ab",
        // hosts first: exact, then wildcard, then none, whatever the path
        "POST | shop.example.com | /a/b/c                 |        | shop",
        "GET  | shop.example.com | /zzz                   |        | wildall",
        "GET  | www.example.com  | /a/b/                  |        | wildall",
        "GET  | example.com      | /a/b/                  |        | ab",
    })
    void precedence(String method, String host, String target, String field, String pool) throws Exception {
        String head = method + " " + target + " HTTP/1.1\r\nHost: " + host + (method.equals("POST") ? "\r\nContent-Length: 0" : "")
                + (field == null ? "" : "\r\n" + field);
        assertEquals(pool, k.pool(head));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "/static/../admin/x,       admin",
        "/static/%2e%2e/admin/x,   admin",
        "/static/.%2E/admin/x,     admin",
        "/static/x/../../admin/x,  admin",
        "/static/../admin,         fallback",
        "/static/..%2Fadmin/x,     static",
        "/static/..%2fadmin/x,     static",
        "/docs/../static/a.png,    static",
        "/docs/x/../index,         exact",
        "/docs/%69ndex,            exact",
        "/a/b/../c,                aplain",
    })
    void dotSegmentsAndEncodedDotsReachTheRouteOfWhereTheyLandAndAreForwardedAsSent(String target, String pool)
            throws Exception {
        int before = k.upstream(pool).requests().size();
        assertEquals(pool, k.get("x", target));
        RecordedRequest got = k.upstream(pool).requests().get(before);
        assertTrue(got.rawHeadString().startsWith("GET " + target + " HTTP/1.1\r\n"), "forwarded byte for byte: " + got);
    }
}
