package io.kodiak.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static io.kodiak.config.ConfigLoaderRejectionTest.ONE_POOL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The header sections ({@code request-headers}, {@code response-headers}, {@code hide-headers},
 * {@code hide-internals}, {@code expires}) and {@code error-pages}: what they read to, and every
 * rejection with its exact {@code FILE:LINE: key.path: problem}.
 */
class HeaderFeaturesRejectionTest {
    private static final String LISTENER = "listeners:\n  - {name: l, address: 127.0.0.1:0, %s}\n" + ONE_POOL;

    @TempDir
    Path dir;

    private void rejected(String section, String expected) {
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.parse(LISTENER.formatted(section), dir.resolve("kodiak.yaml")));
        assertEquals(dir.resolve("kodiak.yaml") + ":2: listeners[0]." + expected, e.getMessage());
    }

    private List<FeatureConfig> features(String section) throws Exception {
        return ConfigLoader.parse(LISTENER.formatted(section), dir.resolve("kodiak.yaml")).listeners().get(0).features();
    }

    @Test
    void headerRulesAreRead() throws Exception {
        List<FeatureConfig> f = features("request-headers: {set: {Host: $host}, add: {X-A: 'a $remote_addr'},"
                + " remove: [X-Internal-*, Cookie]}, response-headers: {remove: ['*-Debug']}, expires: 30d");
        HeaderRulesConfig request = (HeaderRulesConfig) f.get(0);
        assertEquals(false, request.response());
        assertEquals("Host", request.set().get(0).name());
        assertEquals("a $remote_addr", request.add().get(0).value().text());
        assertEquals(List.of("x-internal-*", "cookie"), request.remove());
        assertEquals(List.of("*-debug"), ((HeaderRulesConfig) f.get(1)).remove());
        assertEquals(new ExpiresConfig(ExpiresConfig.Kind.AFTER, Duration.ofDays(30)), f.get(2));
        assertEquals(f, features("expires: 30d, response-headers: {remove: ['*-Debug']}, request-headers: {set: {Host: $host},"
                + " add: {X-A: 'a $remote_addr'}, remove: [X-Internal-*, Cookie]}"), "the running order, not the file's");
        assertEquals(new ExpiresConfig(ExpiresConfig.Kind.AFTER, Duration.ofMinutes(-5)), features("expires: -5m").get(0));
        assertEquals(new ExpiresConfig(ExpiresConfig.Kind.AFTER, Duration.ZERO), features("expires: 0").get(0));
        assertEquals(ExpiresConfig.Kind.OFF, ((ExpiresConfig) features("expires: 'off'").get(0)).kind());
        assertEquals(HeaderRulesReader.INTERNALS, ((HeaderRulesConfig) features("hide-internals: true").get(0)).remove());
    }

    @Test
    void headerRulesAreChecked() {
        rejected("request-headers: {set: {Content-Length: '5'}}",
                "request-headers.set.Content-Length: Content-Length is framing: Kodiak sets it");
        rejected("response-headers: {add: {Transfer-Encoding: chunked}}",
                "response-headers.add.Transfer-Encoding: Transfer-Encoding is framing: Kodiak sets it");
        rejected("request-headers: {set: {'X A': b}}", "request-headers.set.X A: not a field name: \"X A\"");
        rejected("request-headers: {set: {X-A: $nope}}",
                "request-headers.set.X-A: unknown variable $nope in \"$nope\" (known: " + io.kodiak.filter.RequestVariables.NAMES + ")");
        rejected("request-headers: {set: {X-S: $status}}",
                "request-headers.set.X-S: unknown variable $status in \"$status\" (known: " + io.kodiak.filter.RequestVariables.NAMES + ")");
        rejected("request-headers: {set: {Host: 'a b'}}", "request-headers.set.Host: Host: \"a b\" is not a host[:port]");
        rejected("response-headers: {set: {Host: a}}", "response-headers.set.Host: Host is a request field");
        rejected("request-headers: {remove: [Host]}",
                "request-headers.remove[0]: an HTTP/1.1 request needs a Host: set it instead");
        rejected("response-headers: {remove: ['X-*-Y']}",
                "response-headers.remove[0]: not a pattern: \"X-*-Y\" (write Prefix-* or *-suffix)");
        rejected("response-headers: {remove: ['*']}",
                "response-headers.remove[0]: not a pattern: \"*\" (write Prefix-* or *-suffix)");
        rejected("response-headers: {remove: [Connection]}",
                "response-headers.remove[0]: Connection is framing: Kodiak sets it");
        rejected("response-headers: {}", "response-headers: has no rules (give set, add or remove)");
        rejected("response-headers: {sett: {X: y}}",
                "response-headers.sett: unknown key; did you mean \"set\"? (allowed: set, add, remove)");
        rejected("response-headers: {add: {X-A: \"a\\r\\nX-B: b\"}}",
                "response-headers.add.X-A: \"a\\x0d\\x0aX-B: b\" is not a valid header value (only printable ASCII characters are allowed)");
        rejected("hide-headers: []", "hide-headers: must name at least one field");
        rejected("hide-headers: X-Powered-By", "hide-headers: expected a list, got \"X-Powered-By\"");
        rejected("hide-internals: yes", "hide-internals: expected true or false, got \"yes\"");
    }

    /** A field the listener writes itself would go upstream twice: a rule may not set or add it. */
    @Test
    void requestRulesCannotWriteWhatTheListenerWrites() throws Exception {
        rejected("request-headers: {set: {X-Forwarded-Host: evil}}", "request-headers.set.X-Forwarded-Host: Kodiak"
                + " writes X-Forwarded-Host (the listener's forwarded-headers.x-forwarded-host is on), so it would go"
                + " upstream twice: turn forwarded-headers.x-forwarded-host off to set it here");
        rejected("request-headers: {add: {x-forwarded-for: 1.2.3.4}}", "request-headers.add.x-forwarded-for: Kodiak"
                + " writes x-forwarded-for (the listener's forwarded-headers.x-forwarded-for is on), so it would go"
                + " upstream twice: turn forwarded-headers.x-forwarded-for off to set it here");
        rejected("request-headers: {set: {X-Forwarded-Proto: https}}", "request-headers.set.X-Forwarded-Proto: Kodiak"
                + " writes X-Forwarded-Proto (the listener's forwarded-headers.x-forwarded-proto is on), so it would go"
                + " upstream twice: turn forwarded-headers.x-forwarded-proto off to set it here");
        rejected("request-headers: {set: {X-Request-Start: t=1}}", "request-headers.set.X-Request-Start: Kodiak"
                + " writes X-Request-Start (the listener's request-start is on), so it would go upstream twice:"
                + " turn request-start off to set it here");
        rejected("request-headers: {set: {X-Request-ID: r}}", "request-headers.set.X-Request-ID: Kodiak writes the"
                + " request ID in X-Request-ID (the listener's request-id.header), so it would go upstream twice:"
                + " name another field there to set this one here");
        rejected("request-id: {header: X-Trace}, request-headers: {add: {X-Trace: r}}", "request-headers.add.X-Trace:"
                + " Kodiak writes the request ID in X-Trace (the listener's request-id.header), so it would go"
                + " upstream twice: name another field there to set this one here");
        // What the listener does not write, a rule may: off by default, or turned off.
        features("request-headers: {set: {X-Forwarded-Port: '443', X-Request-ID: r}}, request-id: {header: X-Trace}");
        features("forwarded-headers: {forwarded: false, x-forwarded-host: false}, request-start: false,"
                + " request-headers: {set: {Forwarded: 'for=x', X-Forwarded-Host: h, X-Request-Start: t=1}}");
        rejected("forwarded-headers: {forwarded: true}, request-headers: {set: {Forwarded: 'for=x'}}",
                "request-headers.set.Forwarded: Kodiak writes Forwarded (the listener's forwarded-headers.forwarded is"
                + " on), so it would go upstream twice: turn forwarded-headers.forwarded off to set it here");
        rejected("forwarded-headers: {x-forwarded-port: true}, request-headers: {add: {X-Forwarded-Port: '1'}}",
                "request-headers.add.X-Forwarded-Port: Kodiak writes X-Forwarded-Port (the listener's"
                + " forwarded-headers.x-forwarded-port is on), so it would go upstream twice: turn"
                + " forwarded-headers.x-forwarded-port off to set it here");
        // A route's rules are checked against its listener's settings.
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse("listeners:\n"
                + "  - name: l\n    address: 127.0.0.1:0\n    routes:\n      - {pool: web}\n"
                + "      - {path-prefix: /a/, pool: web, request-headers: {set: {X-Forwarded-Host: evil}}}\n"
                + ONE_POOL, dir.resolve("kodiak.yaml")));
        assertEquals(dir.resolve("kodiak.yaml") + ":6: listeners[0].routes[1].request-headers.set.X-Forwarded-Host:"
                + " Kodiak writes X-Forwarded-Host (the listener's forwarded-headers.x-forwarded-host is on), so it"
                + " would go upstream twice: turn forwarded-headers.x-forwarded-host off to set it here", e.getMessage());
    }

    @Test
    void expiresIsChecked() {
        rejected("expires: soon", "expires: \"soon\" is not a duration (use e.g. 500ms, 10s, 2m, 1h)");
        rejected("expires: 10", "expires: \"10\" has no unit (units are required: ms, s, m, h)");
        rejected("expires: 0d", "expires: \"0d\": write 0 for no max-age");
        rejected("expires: 36600000d", "expires: \"36600000d\" is not a duration (use e.g. 500ms, 10s, 2m, 1h)");
        rejected("expires: 40000d", "expires: \"40000d\" is too long (write max)");
    }

    @Test
    void errorPagesAreReadAndChecked() throws Exception {
        Files.writeString(dir.resolve("50x.html"), "<p>down</p>");
        Files.writeString(dir.resolve("page.bin"), "x");
        ErrorPagesConfig pages = (ErrorPagesConfig) features("error-pages: {\"5xx\": 50x.html, \"404\": {file: page.bin,"
                + " content-type: text/plain}, intercept: true}").get(0);
        assertEquals(true, pages.intercept());
        assertEquals("text/html; charset=utf-8", pages.find(502).contentType());
        assertEquals("text/plain", pages.find(404).contentType());
        assertEquals(null, pages.find(403));
        assertEquals(pages, features("error-pages: {\"5xx\": 50x.html, \"404\": {file: page.bin,"
                + " content-type: text/plain}, intercept: true}").get(0), "equal by value, for a reload");

        rejected("error-pages: {\"5xx\": missing.html}",
                "error-pages.5xx: cannot read " + dir.resolve("missing.html") + ": no such file");
        rejected("error-pages: {\"302\": 50x.html}",
                "error-pages.302: expected a status 400-599, a class 4xx or 5xx, or intercept");
        rejected("error-pages: {\"500\": page.bin}",
                "error-pages.500: cannot tell the Content-Type of page.bin (give content-type, or name it .html, .txt, .json or .xml)");
        rejected("error-pages: {\"500\": {file: 50x.html, type: text/html}}",
                "error-pages.500.type: unknown key (allowed: file, content-type)");
        rejected("error-pages: {intercept: true}", "error-pages: has no pages (give e.g. \"5xx\": errors/50x.html)");
        rejected("error-pages: {intercept: maybe, \"5xx\": 50x.html}", "error-pages.intercept: expected true or false, got \"maybe\"");
        rejected("error-pages: {\"500\": .}", "error-pages.500: cannot read " + dir + ": is a directory");
    }

    @Test
    void poolErrorPagesCannotIntercept() throws Exception {
        Files.writeString(dir.resolve("50x.html"), "<p>down</p>");
        String yaml = "listeners:\n  - {name: l, address: 127.0.0.1:0}\npools:\n  web:\n    upstreams: [127.0.0.1:9001]\n"
                + "    error-pages: {\"5xx\": 50x.html, intercept: true}\n";
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(yaml, dir.resolve("kodiak.yaml")));
        assertEquals(dir.resolve("kodiak.yaml") + ":6: pools.web.error-pages.intercept: a pool's pages answer for Kodiak only:"
                + " set intercept on the route or listener", e.getMessage());
        String ok = yaml.replace(", intercept: true", "");
        assertEquals("<p>down</p>", new String(ConfigLoader.parse(ok, dir.resolve("kodiak.yaml")).pools().get("web")
                .errorPages().find(503).body()));
    }
}
