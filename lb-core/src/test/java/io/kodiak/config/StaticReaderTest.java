package io.kodiak.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** A route's {@code static} section: its forms, its defaults, and each rejection with file, line and key path. */
class StaticReaderTest {
    @TempDir
    Path dir;

    private KodiakConfig parse(String route) throws ConfigException {
        return ConfigLoader.parse("listeners:\n  - name: l\n    address: 127.0.0.1:0\n    routes:\n      - " + route + "\n"
                + ConfigLoaderRejectionTest.ONE_POOL, dir.resolve("kodiak.yaml"));
    }

    private StaticConfig read(String route) throws ConfigException {
        return (StaticConfig) parse(route).listeners().get(0).routes().get(0).features().get(0);
    }

    private void assertRejected(String route, String expected) {
        ConfigException e = assertThrows(ConfigException.class, () -> parse(route));
        assertEquals(expected, e.getMessage());
    }

    @Test
    void aDirectoryAloneTakesTheDefaults() throws Exception {
        Files.createDirectories(dir.resolve("site"));
        assertEquals(new StaticConfig(dir.resolve("site"), List.of("index.html"), List.of(), false,
                StaticConfig.Dotfiles.DENY, false), read("{path-prefix: /s/, pool: web, static: site}"));
    }

    @Test
    void everyKeyIsRead() throws Exception {
        Files.createDirectories(dir.resolve("site"));
        assertEquals(new StaticConfig(dir.resolve("site"), List.of("index.htm", "default.html"), List.of("gzip", "br"), true,
                StaticConfig.Dotfiles.IGNORE, true), read("{pool: web, static: {root: ./site/, index: [index.htm, default.html],"
                + " precompressed: [gzip, br], follow-symlinks: true, dotfiles: ignore, fallback: true}}"));
        assertEquals(List.of(), read("{pool: web, static: {root: site, index: none}}").index());
        assertEquals(List.of(), read("{pool: web, static: {root: site, index: []}}").index());
        assertEquals(List.of("home.html"), read("{pool: web, static: {root: site, index: home.html}}").index());
        assertEquals(List.of("br"), read("{pool: web, static: {root: site, precompressed: br}}").precompressed());
        assertEquals(StaticConfig.Dotfiles.ALLOW, read("{pool: web, static: {root: site, dotfiles: allow}}").dotfiles());
        Path abs = Files.createDirectories(dir.resolve("abs"));
        assertEquals(abs, read("{pool: web, static: " + abs + "}").root());
    }

    @Test
    void mistakesAreNamedWithTheirLineAndPath() throws Exception {
        Files.createDirectories(dir.resolve("site"));
        Files.writeString(dir.resolve("file"), "x");
        String at = dir.resolve("kodiak.yaml") + ":5: listeners[0].routes[0].static";
        assertRejected("{pool: web, static: nowhere}", at + ": " + dir.resolve("nowhere") + " is not a directory");
        assertRejected("{pool: web, static: file}", at + ": " + dir.resolve("file") + " is not a directory");
        assertRejected("{pool: web, static: {index: none}}", at + ".root: required key is missing");
        assertRejected("{pool: web, static: {root: site, roots: x}}",
                at + ".roots: unknown key; did you mean \"root\"? (allowed: root, index, precompressed, follow-symlinks, dotfiles, fallback)");
        assertRejected("{pool: web, static: {root: site, dotfiles: hide}}", at + ".dotfiles: must be deny, ignore or allow, got \"hide\"");
        assertRejected("{pool: web, static: {root: site, precompressed: [zstd]}}", at + ".precompressed[0]: must be br or gzip, got \"zstd\"");
        assertRejected("{pool: web, static: {root: site, precompressed: [gzip, gzip]}}", at + ".precompressed[1]: gzip is listed twice");
        assertRejected("{pool: web, static: {root: site, index: [a/b.html]}}",
                at + ".index[0]: an index is a file name in the directory, without '/', got \"a/b.html\"");
        assertRejected("{pool: web, static: {root: site, index: ..}}",
                at + ".index: an index is a file name in the directory, without '/', got \"..\"");
        assertRejected("{pool: web, static: {root: site, follow-symlinks: yes}}", at + ".follow-symlinks: expected true or false, got \"yes\"");
    }

    @Test
    void aListenerHasNoStaticSection() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(
                "listeners:\n  - {name: l, address: 127.0.0.1:0, static: site}\n" + ConfigLoaderRejectionTest.ONE_POOL,
                dir.resolve("kodiak.yaml")));
        assertEquals(true, e.getMessage().startsWith(dir.resolve("kodiak.yaml") + ":2: listeners[0].static: unknown key"), e.getMessage());
    }
}
