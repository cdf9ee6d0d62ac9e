package io.kodiak.config;

import io.kodiak.filter.RequestVariables;
import io.kodiak.filter.Template;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static io.kodiak.config.ConfigLoaderRejectionTest.ONE_POOL;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A route's {@code rewrite}, {@code redirect} and {@code respond}: what is read, and every rejection with its message. */
class RouteFeaturesConfigTest {
    /** A route on line 3 with the section {@code %s}. */
    private static final String ROUTE = "listeners:\n  - name: l\n    address: 127.0.0.1:0\n"
            + "    routes:\n      - {pool: web, %s}\n" + ONE_POOL;
    private static final String AT = "kodiak.yaml:5: listeners[0].routes[0].";

    @TempDir
    Path dir;

    private static FeatureConfig read(String section) throws ConfigException {
        return read(section, Path.of("kodiak.yaml"));
    }

    private static FeatureConfig read(String section, Path file) throws ConfigException {
        List<FeatureConfig> f = ConfigLoader.parse(ROUTE.formatted(section), file).listeners().get(0).routes().get(0).features();
        assertEquals(1, f.size(), f.toString());
        return f.get(0);
    }

    private static void rejected(String section, String expected) {
        ConfigException e = assertThrows(ConfigException.class, () -> read(section));
        assertEquals(AT + expected, e.getMessage());
    }

    private static Template t(String text) {
        return Template.parse(text, RequestVariables.NAMES, null);
    }

    @Test
    void rewriteForms() throws Exception {
        assertEquals(new RewriteConfig("/api", null, null, null, null, null, false), read("rewrite: {strip-prefix: /api}"));
        assertEquals(new RewriteConfig(null, "/old/", "/new/", null, null, null, true),
                read("rewrite: {replace-prefix: {from: /old/, to: /new/}, host: upstream}"));
        assertEquals(new RewriteConfig(null, null, null, t("/v2$uri"), t(""), "api.internal:8080", false),
                read("rewrite: {path: /v2$uri, query: '', host: 'api.internal:8080'}"));
    }

    @Test
    void rewriteRejections() {
        rejected("rewrite: {}", "rewrite: says nothing to rewrite (give one of strip-prefix, replace-prefix, path, query, host)");
        rejected("rewrite: /api", "rewrite: expected a mapping, got \"/api\"");
        rejected("rewrite: {strip-prefx: /api}",
                "rewrite.strip-prefx: unknown key; did you mean \"strip-prefix\"? (allowed: strip-prefix, replace-prefix, path, query, host)");
        rejected("rewrite: {strip-prefix: api}", "rewrite.strip-prefix: \"api\" must start with '/'");
        rejected("rewrite: {strip-prefix: '/a b'}",
                "rewrite.strip-prefix: \"/a b\" holds characters a path cannot carry unencoded (write them as %XX)");
        rejected("rewrite: {strip-prefix: /a, path: /b}", "rewrite.path: cannot be used with strip-prefix (one path rewrite per route)");
        rejected("rewrite: {replace-prefix: {from: /a}}", "rewrite.replace-prefix.to: required key is missing");
        rejected("rewrite: {path: 'users/x'}", "rewrite.path: \"users/x\" must start with '/' (or a variable)");
        rejected("rewrite: {path: '/x?a=1'}", "rewrite.path: \"/x?a=1\" is a path: set the query with rewrite.query");
        rejected("rewrite: {path: '/users/$1'}",
                "rewrite.path: unknown variable $1 in \"/users/$1\": $1..$9 need the route's path-regex");
        rejected("rewrite: {query: 'a=$nope'}", "rewrite.query: unknown variable $nope in \"a=$nope\" (known: "
                + RequestVariables.NAMES + ")");
        rejected("rewrite: {host: 'a b'}", "rewrite.host: \"a b\" is neither \"upstream\" nor a host[:port]");
    }

    @Test
    void rewriteTemplatesTakeTheRoutesGroupsWhenGiven() throws Exception {
        ConfigNode node = new ConfigNode(new org.yaml.snakeyaml.Yaml().compose(new java.io.StringReader("{path: '/users/${id}/$1'}")),
                "rewrite", "kodiak.yaml");
        RewriteConfig c = RewriteReader.read(node, Path.of("."), java.util.Set.of("1", "id"));
        assertEquals("/users/${id}/$1", c.path().text());
        ConfigException e = assertThrows(ConfigException.class,
                () -> RewriteReader.read(node, Path.of("."), java.util.Set.of("1")));
        assertEquals("kodiak.yaml:1: rewrite.path: unknown variable $id in \"/users/${id}/$1\"", e.getMessage());
    }

    @Test
    void redirectForms() throws Exception {
        assertEquals(new RedirectConfig(t("/new"), 302), read("redirect: /new"));
        assertEquals(new RedirectConfig(t("https://$host$request_uri"), 308),
                read("redirect: {to: 'https://$host$request_uri', status: 308}"));
    }

    @Test
    void redirectRejections() {
        rejected("redirect: {to: /x, status: 300}", "redirect.status: 300 is not a redirect (use 301, 302, 303, 307 or 308)");
        rejected("redirect: {to: /x, status: 200}", "redirect.status: 200 is out of range (must be 300-399)");
        rejected("redirect: {status: 301}", "redirect.to: required key is missing");
        rejected("redirect: ''", "redirect: must not be empty");
        rejected("redirect: {to: '/x/$2'}", "redirect.to: unknown variable $2 in \"/x/$2\": $1..$9 need the route's path-regex");
        rejected("redirect: {to: /x, code: 301}", "redirect.code: unknown key (allowed: to, status)");
    }

    @Test
    void respondForms() throws Exception {
        assertEquals(new RespondConfig(200, null, new byte[0], null, List.of()), read("respond: 200"));
        RespondConfig c = (RespondConfig) read("respond: {status: 201, body: ok, headers: {X-A: b, Cache-Control: no-store}}");
        assertEquals(201, c.status());
        assertEquals("text/plain; charset=utf-8", c.contentType());
        assertArrayEquals("ok".getBytes(), c.body());
        assertEquals(List.of(Map.entry("X-A", "b"), Map.entry("Cache-Control", "no-store")), c.headers());
        assertEquals("application/json",
                ((RespondConfig) read("respond: {body: '{}', content-type: application/json}")).contentType());
        assertEquals(0, ((RespondConfig) read("respond: {body: ''}")).body().length);
    }

    @Test
    void respondFileIsReadRelativeToTheConfigAndTyped() throws Exception {
        Files.writeString(dir.resolve("down.html"), "<p>down</p>");
        Files.write(dir.resolve("blob.bin"), new byte[] {1, 2});
        Path file = dir.resolve("kodiak.yaml");
        RespondConfig c = (RespondConfig) read("respond: {status: 503, file: down.html}", file);
        assertEquals("text/html; charset=utf-8", c.contentType());
        assertEquals(dir.resolve("down.html"), c.file());
        assertEquals("<p>down</p>", new String(c.body()));
        assertEquals(c, read("respond: {status: 503, file: down.html}", file), "equal by the bytes, for reloads");
        assertEquals("application/octet-stream", ((RespondConfig) read("respond: {file: blob.bin}", file)).contentType());
        assertEquals("image/png", RespondReader.typeOf(Path.of("x/LOGO.PNG")));

        Files.write(dir.resolve("big.html"), new byte[RespondConfig.MAX_FILE_BYTES + 1]);
        ConfigException e = assertThrows(ConfigException.class, () -> read("respond: {file: big.html}", file));
        assertEquals(file + ":5: listeners[0].routes[0].respond.file: " + dir.resolve("big.html")
                + " is larger than 1048576 bytes (1 MiB)", e.getMessage());
        e = assertThrows(ConfigException.class, () -> read("respond: {file: nope.html}", file));
        assertEquals(file + ":5: listeners[0].routes[0].respond.file: cannot read " + dir.resolve("nope.html")
                + ": no such file", e.getMessage());
    }

    @Test
    void respondRejections() throws Exception {
        rejected("respond: 199", "respond: 199 is out of range (must be 200-599)");
        rejected("respond: {status: 600}", "respond.status: 600 is out of range (must be 200-599)");
        rejected("respond: ok", "respond: expected an integer, got \"ok\"");
        rejected("respond: {body: a, file: b}", "respond.file: cannot be used with body (one or the other)");
        rejected("respond: {status: 204, body: x}", "respond.body: a 204 answer carries no body");
        rejected("respond: {status: 304, body: x}", "respond.body: a 304 answer carries no body");
        rejected("respond: {status: 205, body: x}", "respond.body: a 205 answer carries no body");
        // With request-id.echo, Kodiak adds the ID field itself: a fixed answer may not add a second.
        read("respond: {headers: {X-Request-ID: a}}");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(ROUTE.formatted(
                "respond: {headers: {x-request-id: a}}").replace("    routes:", "    request-id: {echo: true}\n    routes:"),
                Path.of("kodiak.yaml")));
        assertEquals("kodiak.yaml:6: listeners[0].routes[0].respond.headers.x-request-id: Kodiak echoes the request ID in"
                + " x-request-id (the listener's request-id.echo is on), so the answer would carry two: leave it out, or"
                + " turn echo off", e.getMessage());
        rejected("respond: {headers: {Content-Length: '5'}}", "respond.headers.Content-Length: Content-Length is framing: Kodiak sets it");
        rejected("respond: {headers: {Content-Type: text/html}}", "respond.headers.Content-Type: set it with respond.content-type");
        rejected("respond: {headers: {Server: x}}", "respond.headers.Server: Kodiak sets it (Server: see server-header)");
        rejected("respond: {headers: {'X A': b}}", "respond.headers.X A: not a field name: \"X A\"");
        rejected("respond: {headers: {X-A: \"a\\r\\nSet-Cookie: x\"}}",
                "respond.headers.X-A: \"a\\x0d\\x0aSet-Cookie: x\" is not a valid header value (only printable ASCII characters are allowed)");
        rejected("respond: {content-type: \"text/html\\n\"}",
                "respond.content-type: \"text/html\\x0a\" is not a valid header value (only printable ASCII characters are allowed)");
        rejected("respond: {stat: 200}", "respond.stat: unknown key; did you mean \"status\"? (allowed: status, body, file, content-type, headers)");
    }

    @Test
    void aRouteAnswersOneWayAndThenRewritesNothing() {
        rejected("redirect: /x, respond: 200", "respond: cannot be used with redirect (a route answers one way)");
        rejected("respond: 200, rewrite: {strip-prefix: /a}",
                "rewrite: has no effect: the route answers with respond and sends nothing upstream");
    }

    @Test
    void theseAreRouteSectionsNotListenerOnes() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(
                "listeners:\n  - {name: l, address: 127.0.0.1:0, respond: 200}\n" + ONE_POOL, Path.of("kodiak.yaml")));
        assertTrue(e.getMessage().startsWith("kodiak.yaml:2: listeners[0].respond: unknown key"), e.getMessage());
    }
}
