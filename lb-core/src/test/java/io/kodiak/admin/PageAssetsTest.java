package io.kodiak.admin;

import io.kodiak.Kodiak;
import io.kodiak.config.ConfigLoader;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.testing.ScriptedUpstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The status page's files over real HTTP from an admin listener: each with its type, ETag and
 * 304, HEAD, the security headers; nothing but the known files (no path from the request reaches
 * a file lookup), and an index.html the CSP lets run: no inline script or style, no external URL.
 * What the page does in a browser is the end-to-end test's (docs/status-page.md).
 */
@Timeout(30)
class PageAssetsTest {
    private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
    /** Every file the page is made of, with the Content-Type it must be served with. */
    private static final Map<String, String> ASSETS = Map.of(
            "app.js", "text/javascript; charset=utf-8",
            "table.js", "text/javascript; charset=utf-8",
            "actions.js", "text/javascript; charset=utf-8",
            "session.js", "text/javascript; charset=utf-8",
            "drains.js", "text/javascript; charset=utf-8",
            "format.js", "text/javascript; charset=utf-8",
            "app.css", "text/css; charset=utf-8",
            "favicon.svg", "image/svg+xml");

    @TempDir
    Path dir;
    private Kodiak kodiak;
    private ScriptedUpstream up;

    @BeforeEach
    void start() throws Exception {
        up = ScriptedUpstream.start("a");
        kodiak = Kodiak.start(ConfigLoader.parse("""
                admin: {listen: 127.0.0.1:0, token: %s, state-file: off}
                metrics: off
                listeners: [{name: web, address: 127.0.0.1:0}]
                pools: {p: {upstreams: ["%s"]}}
                """.formatted(CtlFanoutTest.TOKEN, up.hostPort()), dir.resolve("kodiak.yaml")));
    }

    @AfterEach
    void stop() {
        if (kodiak != null) {
            kodiak.close();
        }
        if (up != null) {
            up.close();
        }
    }

    /** One request as written, headers after the Host line; the raw target reaches the server unchanged. */
    private RawResponse send(String method, String target, String... headers) throws IOException {
        int port = kodiak.adminAddress().getPort();
        StringBuilder req = new StringBuilder(method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n");
        for (String h : headers) {
            req.append(h).append("\r\n");
        }
        if (method.equals("POST") || method.equals("PUT")) {
            req.append("Content-Length: 0\r\n");
        }
        req.append("Connection: close\r\n\r\n");
        try (RawClient c = RawClient.connect(port)) {
            return c.exchange(req.toString());
        }
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = PageAssets.class.getResourceAsStream("page/" + name)) {
            assertNotNull(in, name + " is in the jar");
            return in.readAllBytes();
        }
    }

    @Test
    void servesThePageAndEachAssetWithItsTypeAndSecurityHeaders() throws Exception {
        RawResponse page = send("GET", "/");
        assertEquals(200, page.status(), page.toString());
        assertEquals("text/html; charset=utf-8", page.header("Content-Type").toLowerCase());
        assertArrayEquals(resource("index.html"), page.body().bytes());
        assertEquals(CSP, page.header("Content-Security-Policy"));
        assertEquals("nosniff", page.header("X-Content-Type-Options"));
        assertEquals("DENY", page.header("X-Frame-Options"));
        assertEquals("no-referrer", page.header("Referrer-Policy"));
        assertEquals("no-cache", page.header("Cache-Control"));
        for (Map.Entry<String, String> a : ASSETS.entrySet()) {
            RawResponse r = send("GET", "/assets/" + a.getKey());
            assertEquals(200, r.status(), a.getKey());
            assertEquals(a.getValue(), r.header("Content-Type").toLowerCase(), a.getKey());
            assertEquals(String.valueOf(resource(a.getKey()).length), r.header("Content-Length"), a.getKey());
            assertArrayEquals(resource(a.getKey()), r.body().bytes(), a.getKey());
            assertEquals("nosniff", r.header("X-Content-Type-Options"), a.getKey());
            assertEquals(CSP, r.header("Content-Security-Policy"), a.getKey());
        }
        assertEquals(200, send("GET", "/?from=bookmark").status(), "a query string does not change the page");
    }

    @Test
    void aStrongEtagAnswersIfNoneMatchWith304() throws Exception {
        RawResponse first = send("GET", "/assets/app.js");
        String etag = first.header("ETag");
        assertNotNull(etag);
        assertTrue(etag.matches("\"[0-9a-f]{32}\""), "strong, quoted: " + etag);
        assertNotEquals(etag, send("GET", "/assets/app.css").header("ETag"), "each file has its own");

        for (String given : List.of(etag, "W/" + etag, "\"other\", " + etag, "*")) {
            RawResponse again = send("GET", "/assets/app.js", "If-None-Match: " + given);
            assertEquals(304, again.status(), given);
            assertEquals(0, again.body().length(), given);
            assertEquals(etag, again.header("ETag"), given);
            assertEquals("no-cache", again.header("Cache-Control"), given);
        }
        RawResponse changed = send("GET", "/assets/app.js", "If-None-Match: \"an-older-build\"");
        assertEquals(200, changed.status());
        assertArrayEquals(resource("app.js"), changed.body().bytes());
        assertEquals(304, send("HEAD", "/", "If-None-Match: " + send("GET", "/").header("ETag")).status());
    }

    @Test
    void headAnswersWithTheHeadersAndNoBody() throws Exception {
        RawResponse head = send("HEAD", "/");
        assertEquals(200, head.status());
        assertEquals(String.valueOf(resource("index.html").length), head.header("Content-Length"));
        assertEquals(0, head.body().length());
        assertEquals(send("GET", "/").header("ETag"), head.header("ETag"));
        RawResponse css = send("HEAD", "/assets/app.css");
        assertEquals(200, css.status());
        assertEquals("text/css; charset=utf-8", css.header("Content-Type").toLowerCase());
    }

    @Test
    void nothingButTheKnownFilesIsServed() throws Exception {
        for (String target : List.of("/assets/../x", "/assets/%2e%2e/x", "/assets/%2E%2E/%2E%2E/pom.xml",
                "/assets/..%2fPageAssets.class", "/assets/%2e%2e%2fPageAssets.class", "/assets/unknown.js",
                "/assets/index.html", "/assets/", "/assets", "/assets/app.js/x", "/assets/APP.JS",
                "/assets/app.js%00.png", "/index.html", "/page/app.js", "/assets/page/app.js")) {
            RawResponse r = send("GET", target);
            assertEquals(404, r.status(), target);
            assertTrue(r.header("Content-Type").startsWith("application/json"), target);
            assertTrue(r.bodyString().contains("\"error\""), target);
        }
    }

    @Test
    void otherMethodsAre405WithAllow() throws Exception {
        for (String[] m : new String[][]{{"POST", "/"}, {"PUT", "/assets/app.js"}, {"DELETE", "/"}, {"POST", "/assets/app.css"}}) {
            RawResponse r = send(m[0], m[1]);
            assertEquals(405, r.status(), m[0] + " " + m[1]);
            assertEquals("GET, HEAD", r.header("Allow"), m[0] + " " + m[1]);
        }
    }

    /**
     * The CSP allows only this origin's files: an inline script or style, an inline handler or a
     * file from elsewhere would be blocked in the browser, so the page would break there first.
     */
    @Test
    void thePageHasNoInlineScriptOrStyleAndNoExternalUrl() throws Exception {
        String html = send("GET", "/").bodyString();
        assertFalse(Pattern.compile("<style", Pattern.CASE_INSENSITIVE).matcher(html).find(), "no <style> element");
        assertFalse(Pattern.compile("\\sstyle\\s*=", Pattern.CASE_INSENSITIVE).matcher(html).find(), "no style attribute");
        assertFalse(Pattern.compile("\\son[a-z]+\\s*=", Pattern.CASE_INSENSITIVE).matcher(html).find(), "no inline handler");
        assertFalse(html.contains("javascript:"), "no javascript: URL");
        Matcher scripts = Pattern.compile("<script([^>]*)>(.*?)</script>", Pattern.DOTALL | Pattern.CASE_INSENSITIVE).matcher(html);
        int n = 0;
        while (scripts.find()) {
            n++;
            assertTrue(scripts.group(1).contains("src=\"/assets/"), "a script from the assets: " + scripts.group());
            assertTrue(scripts.group(2).isBlank(), "and nothing inline: " + scripts.group());
        }
        assertEquals(1, n, "one entry script (the modules import the rest)");

        Set<String> urls = new LinkedHashSet<>();
        Matcher refs = Pattern.compile("\\s(?:src|href)\\s*=\\s*\"([^\"]*)\"", Pattern.CASE_INSENSITIVE).matcher(html);
        while (refs.find()) {
            urls.add(refs.group(1));
        }
        assertFalse(urls.isEmpty());
        for (String u : urls) {
            assertTrue(u.startsWith("/assets/") && !u.startsWith("//"), "same-origin asset only: " + u);
            assertFalse(u.contains("http:") || u.contains("https:"), u);
            assertEquals(200, send("GET", u).status(), u + " is served");
        }
        for (String name : ASSETS.keySet()) {
            String text = new String(resource(name), StandardCharsets.UTF_8);
            String withoutSvgNamespace = text.replace("http://www.w3.org/2000/svg", "");
            assertFalse(withoutSvgNamespace.contains("http://") || withoutSvgNamespace.contains("https://")
                    || withoutSvgNamespace.contains("url("), name + " fetches nothing from elsewhere");
            assertFalse(text.contains("setAttribute('style'") || text.contains("innerHTML")
                    || text.contains("localStorage") || text.contains("eval("), name);
        }
    }

    /** Each module the scripts import is a served asset: a missing one would stop the page with no error shown. */
    @Test
    void everyImportedModuleIsServed() throws Exception {
        List<String> modules = new ArrayList<>();
        for (String name : ASSETS.keySet()) {
            if (!name.endsWith(".js")) {
                continue;
            }
            Matcher m = Pattern.compile("from '\\./([a-z]+\\.js)'").matcher(new String(resource(name), StandardCharsets.UTF_8));
            while (m.find()) {
                modules.add(m.group(1));
            }
        }
        assertTrue(modules.containsAll(List.of("table.js", "actions.js", "format.js", "session.js", "drains.js")), modules.toString());
        for (String m : modules) {
            RawResponse r = send("GET", "/assets/" + m);
            assertEquals(200, r.status(), m);
            assertEquals("text/javascript; charset=utf-8", r.header("Content-Type").toLowerCase(), m);
        }
    }

    /** The ids and roles the browser test and the contract (docs/status-page.md) rely on are in the page. */
    @Test
    void thePageHasTheContractsElements() throws Exception {
        String html = send("GET", "/").bodyString();
        for (String id : List.of("instance", "live", "session-state", "login-open", "logout", "login", "login-form",
                "login-token", "login-error", "filter-pool", "filter-state", "filter-text", "pools", "listeners",
                "upstreams", "confirm", "confirm-text", "confirm-weight", "confirm-wait", "confirm-ok",
                "confirm-cancel", "messages")) {
            assertTrue(html.contains("id=\"" + id + "\""), "#" + id);
        }
        assertTrue(html.contains("<label for=\"login-token\">Admin token</label>"));
        assertTrue(html.contains("<input id=\"login-token\" type=\"password\" autocomplete=\"current-password\""));
        assertTrue(html.contains("id=\"messages\" class=\"messages\" role=\"status\" aria-live=\"polite\""));
        for (String state : List.of("\"\"", "\"UP\"", "\"DOWN\"", "\"DRAIN\"", "\"MAINT\"", "\"not-up\"")) {
            assertTrue(html.contains("<option value=" + state), "state filter " + state);
        }
        assertNull(send("GET", "/").header("Set-Cookie"), "the page itself sets no cookie");
    }
}
