package io.kodiak.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.kodiak.config.ConfigLoaderRejectionTest.ONE_POOL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code access} on listeners and routes: what is read, files, and every rejection with its message. */
class AccessConfigTest {
    /** A listener's access on line 4, then its rules one a line. */
    private static final String LISTENER = "listeners:\n  - name: l\n    address: 127.0.0.1:0\n    access:\n%s" + ONE_POOL;
    private static final String AT = "kodiak.yaml:%d: listeners[0].access";

    @TempDir
    Path dir;

    private AccessConfig read(String... rules) throws ConfigException {
        StringBuilder b = new StringBuilder();
        for (String r : rules) {
            b.append("      - ").append(r).append('\n');
        }
        List<FeatureConfig> f = ConfigLoader.parse(LISTENER.formatted(b), dir.resolve("kodiak.yaml")).listeners().get(0).features();
        assertEquals(1, f.size(), f.toString());
        return (AccessConfig) f.get(0);
    }

    private AccessRule rule(String rule) throws ConfigException {
        return read(rule).rules().get(0);
    }

    /** The rule on line 5 (the first) is rejected with {@code expected} after {@code listeners[0].access}. */
    private void rejected(String expected, String... rules) {
        ConfigException e = assertThrows(ConfigException.class, () -> read(rules));
        assertEquals(dir.resolve("kodiak.yaml") + ":" + expected, e.getMessage());
    }

    @Test
    void rulesAreReadInOrderWithTheirDefaults() throws Exception {
        AccessConfig c = read("{action: allow, source: [10.0.0.0/8, \"2001:db8::/32\"]}",
                "{action: deny, path-prefix: [/admin/, /internal/], status: 404}",
                "{action: tarpit, methods: [POST], headers: {user-agent: \"~(?i)sqlmap\"}}",
                "{action: redirect, to: 'https://example.com$uri', status: 301, query: {old: true}}",
                "deny");
        List<AccessRule> r = c.rules();
        assertEquals(5, r.size());
        assertEquals(AccessRule.Action.ALLOW, r.get(0).action());
        assertEquals(0, r.get(0).status());
        assertEquals(AccessCidrs.of(List.of(Cidr.parse("10.0.0.0/8"), Cidr.parse("2001:db8::/32"))), r.get(0).source().cidrs());
        assertNull(r.get(0).notSource());
        assertEquals(404, r.get(1).status());
        assertEquals(List.of("/admin/", "/internal/"), r.get(1).path().prefixes());
        assertEquals(AccessRule.DEFAULT_HOLD, r.get(2).hold());
        assertEquals(403, r.get(2).status());
        assertEquals(List.of("POST"), r.get(2).conditions().methods());
        assertEquals(Map.of("user-agent", FieldCondition.parse("~(?i)sqlmap")), r.get(2).conditions().headers());
        assertEquals("https://example.com$uri", r.get(3).to().text());
        assertEquals(301, r.get(3).status());
        assertTrue(r.get(4).unconditional());
        assertEquals(403, r.get(4).status());
        assertEquals("deny 404 if path-prefix /admin/,/internal/", r.get(1).describe());
        assertEquals("tarpit 403 after 10000 ms if methods POST; header user-agent: ~(?i)sqlmap", r.get(2).describe());
        assertEquals(302, rule("{action: redirect, to: /elsewhere}").status());
        assertEquals(Duration.ofMillis(1500), rule("{action: tarpit, hold: 1500ms, status: 429}").hold());
        assertEquals(List.of("/x"), rule("{action: deny, path: /x}").path().exact());
        assertEquals("^/a", rule("{action: deny, path-regex: ^/a}").path().regex().text());
        assertEquals("allow if not-source 1 range", rule("{action: allow, not-source: 10.0.0.0/8}").describe());
    }

    @Test
    void routesHaveRulesTooWithTheirGroups() throws Exception {
        String yaml = "listeners:\n  - name: l\n    address: 127.0.0.1:0\n    routes:\n"
                + "      - {path-regex: '^/u/(?<user>[a-z]+)', pool: web, access: [{action: redirect, to: '/users/${user}'}]}\n"
                + ONE_POOL;
        List<FeatureConfig> f = ConfigLoader.parse(yaml, dir.resolve("kodiak.yaml")).listeners().get(0).routes().get(0).features();
        assertEquals("/users/${user}", ((AccessConfig) f.get(0)).rules().get(0).to().text());
    }

    @Test
    void sourceFilesAreReadWithCommentsAndCompareByContent() throws Exception {
        Files.writeString(dir.resolve("allow.txt"), "# office\n10.0.0.0/8   # the VPN\n\n  192.0.2.7\n2001:db8::/32\n");
        AccessRule r = rule("{action: allow, source-file: allow.txt, source: 198.51.100.0/24}");
        AccessSourceFile f = r.source().files().get(0);
        assertEquals(dir.resolve("allow.txt"), f.file());
        assertEquals(3, f.cidrs().size());
        assertTrue(f.cidrs().contains(AccessAddress.parse("192.0.2.7")));
        assertTrue(r.source().cidrs().contains(AccessAddress.parse("198.51.100.9")));
        Files.writeString(dir.resolve("allow.txt"), "10.0.0.0/8\n");
        assertNotEquals(r, rule("{action: allow, source-file: allow.txt, source: 198.51.100.0/24}"),
                "a changed file changes the rule: a reload rebuilds it");
        Files.writeString(dir.resolve("deny.txt"), "10.1.0.0/16\n");
        AccessRule two = rule("{action: deny, source-file: [allow.txt, deny.txt], not-source-file: allow.txt}");
        assertEquals(2, two.source().files().size());
        assertEquals(AccessCidrs.EMPTY, two.source().cidrs());
        assertEquals(1, two.notSource().files().size());
    }

    /** A country-sized file: read with the configuration, kept as 110,000 ranges, looked up by binary search. */
    @Test
    void aFileOfAHundredThousandRanges() throws Exception {
        StringBuilder b = new StringBuilder("# generated\n");
        for (int i = 0; i < 100_000; i++) {
            int n = 2 * i; // every other /24 from 1.0.0.0 on: none adjacent, none merged
            b.append(1 + (n >> 16)).append('.').append(n >> 8 & 0xff).append('.').append(n & 0xff).append(".0/24\n");
            if (i % 10 == 0) {
                b.append("2001:db8:").append(Integer.toHexString(i >> 16)).append(':').append(Integer.toHexString(i & 0xffff))
                        .append("::/64\n");
            }
        }
        Files.writeString(dir.resolve("country.txt"), b);
        AccessCidrs c = rule("{action: deny, source-file: country.txt}").source().files().get(0).cidrs();
        assertEquals(110_000, c.size());
        assertEquals(110_000, c.mergedSize());
        assertTrue(c.contains(AccessAddress.parse("1.0.0.5")));
        assertFalse(c.contains(AccessAddress.parse("1.0.1.5")));
        assertTrue(c.contains(AccessAddress.parse("4.13.62.200")), "the last /24: 2 * 99,999 = 3 * 65,536 + 13 * 256 + 62");
        assertFalse(c.contains(AccessAddress.parse("4.13.64.0")));
        assertTrue(c.contains(AccessAddress.parse("2001:db8:1:8696::1")), "the last /64: i = 99,990 = 0x1_8696");
        assertFalse(c.contains(AccessAddress.parse("2001:db8:0:1::1")));
    }

    @Test
    void badSourcesAreRejectedWithTheFileAndLine() throws Exception {
        rejected("5: listeners[0].access[0].source[0]: \"10.0.0.300/8\" is not an address or range (such as 10.0.0.0/8, 192.168.1.7, ::1/128)",
                "{action: deny, source: [10.0.0.300/8]}");
        rejected("5: listeners[0].access[0].source[0]: \"10.0.0.1/8\" has bits set after its /8 prefix: write 10.0.0.0/8",
                "{action: deny, source: [10.0.0.1/8]}");
        rejected("5: listeners[0].access[0].source[0]: \"2001:db8::/129\" has a bad prefix length (0-128)",
                "{action: deny, source: [\"2001:db8::/129\"]}");
        rejected("5: listeners[0].access[0].source-file: cannot read " + dir.resolve("nope.txt") + ": no such file",
                "{action: deny, source-file: nope.txt}");
        Files.writeString(dir.resolve("bad.txt"), "10.0.0.0/8\n# fine\n\n2001:db8::/32\nexample.com\n");
        rejected("5: listeners[0].access[0].source-file: " + dir.resolve("bad.txt")
                        + ":5: \"example.com\" is not an address or range (such as 10.0.0.0/8, 192.168.1.7, ::1/128)",
                "{action: deny, source-file: bad.txt}");
        Files.createDirectories(dir.resolve("sub"));
        rejected("5: listeners[0].access[0].not-source-file[0]: cannot read " + dir.resolve("sub") + ": is a directory",
                "{action: deny, not-source-file: [sub]}");
        Files.writeString(dir.resolve("long.txt"), "x".repeat(300) + "\n");
        rejected("5: listeners[0].access[0].source-file: " + dir.resolve("long.txt")
                + ":1: a line longer than 256 characters: not a list of addresses", "{action: deny, source-file: long.txt}");
        rejected("5: listeners[0].access[0].source: must list at least one address or range (leave source out to match any client)",
                "{action: deny, source: []}");
    }

    @Test
    void badRulesAreRejected() throws Exception {
        rejected("5: listeners[0].access[0].action: unknown action \"block\" (known: allow, deny, tarpit, redirect)",
                "{action: block}");
        rejected("5: listeners[0].access[0]: unknown action \"block\" (known: allow, deny, tarpit, redirect)", "block");
        rejected("5: listeners[0].access[0].action: required key is missing", "{source: 10.0.0.0/8}");
        rejected("5: listeners[0].access[0].sources: unknown key; did you mean \"source\"? (allowed: action, status, hold, to,"
                + " source, source-file, not-source, not-source-file, methods, path, path-prefix, path-regex, headers, cookies,"
                + " query)", "{action: deny, sources: 10.0.0.0/8}");
        rejected("5: listeners[0].access[0].status: an allow has no status: the request goes on", "{action: allow, status: 200}");
        rejected("5: listeners[0].access[0].status: 200 is out of range (must be 400-599)", "{action: deny, status: 200}");
        rejected("5: listeners[0].access[0].status: 300 is not a redirect (use 301, 302, 303, 307 or 308)",
                "{action: redirect, to: /x, status: 300}");
        rejected("5: listeners[0].access[0].to: required key is missing", "{action: redirect}");
        rejected("5: listeners[0].access[0]: a redirect needs its target: write {action: redirect, to: URL}", "redirect");
        rejected("5: listeners[0].access[0].to: only a redirect has a target (this rule is deny)", "{action: deny, to: /x}");
        rejected("5: listeners[0].access[0].hold: only a tarpit holds requests (this rule is deny)", "{action: deny, hold: 1s}");
        rejected("5: listeners[0].access[0].hold: must be more than 0 and at most 5m", "{action: tarpit, hold: 10m}");
        rejected("5: listeners[0].access[0].path-prefix: a rule has one of path, path-prefix and path-regex; this one also has path",
                "{action: deny, path: /a, path-prefix: /b}");
        rejected("5: listeners[0].access[0].path: \"admin\" must start with '/'", "{action: deny, path: admin}");
        rejected("5: listeners[0].access[0].to: unknown variable $1 in \"/x/$1\": $1..$9 need the route's path-regex",
                "{action: redirect, to: /x/$1}");
        rejected("6: listeners[0].access[1]: is never reached: the rule before it has no conditions and decides every request",
                "allow", "{action: deny, path: /a}");
        rejected("5: listeners[0].access[0]: has no value (expected a mapping)", "");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(
                "listeners:\n  - name: l\n    address: 127.0.0.1:0\n    access: []\n" + ONE_POOL, Path.of("kodiak.yaml")));
        assertEquals("kodiak.yaml:4: listeners[0].access: must list at least one rule (leave access out to allow every request)",
                e.getMessage());
    }
}
