package io.kodiak.proxy;

import io.kodiak.config.ConfigLoader;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.ScriptedUpstream;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

/**
 * A static site on disk and a Kodiak serving it, for the static-route tests: {@code site/} with
 * files of the usual types, precompressed siblings, an index, dotfiles, symbolic links inside and
 * out, and a secret next to it ({@code secret.txt}, which holds {@link #SECRET}) that no path may
 * reach. Routes: {@code /static/} (precompressed br and gzip), {@code /files} (a prefix without
 * its slash, no index), {@code /fb/} (fallback to the pool), {@code /open/} (follow-symlinks,
 * dotfiles allowed), all with pool {@code app}; nothing else is routed.
 */
final class StaticSiteFixture implements AutoCloseable {
    static final String SECRET = "TOPSECRET-do-not-serve";
    /** A fixed mtime, so Last-Modified and the ETag are known: 2024-01-02T03:04:05Z. */
    static final long MTIME = 1704164645L;

    final Path dir;
    final Path site;
    final ScriptedUpstream app;
    final ProxyServer server;

    StaticSiteFixture(Path dir, String listenerExtra) throws Exception {
        this.dir = dir;
        this.site = Files.createDirectories(dir.resolve("site"));
        Files.writeString(dir.resolve("secret.txt"), SECRET + "\n");
        write("a.txt", "hello, static world\n");
        write("app.css", "body { color: black; }\n".repeat(20));
        gzip("app.css");
        Files.writeString(site.resolve("app.css.br"), "pretend-brotli");
        write("app.js", "console.log(1);\n");
        write("data.json", "{}");
        write("logo.svg", "<svg/>");
        Files.write(site.resolve("logo.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G'});
        Files.write(site.resolve("font.woff2"), new byte[] {1, 2, 3});
        Files.write(site.resolve("blob.unknownext"), new byte[] {4, 5});
        write("sub/index.html", "<h1>sub</h1>\n");
        Files.createDirectories(site.resolve("empty"));
        write(".env", SECRET);
        write(".git/config", SECRET);
        Files.createSymbolicLink(site.resolve("out"), dir.resolve("secret.txt"));
        Files.createSymbolicLink(site.resolve("outdir"), dir);
        Files.createSymbolicLink(site.resolve("sub/inlink.txt"), Path.of("../a.txt"));
        Files.createSymbolicLink(site.resolve("sub/dotlink"), Path.of("../.env"));
        for (Path p : new Path[] {site.resolve("a.txt"), site.resolve("app.css"), site.resolve("app.css.gz")}) {
            Files.setLastModifiedTime(p, FileTime.from(Instant.ofEpochSecond(MTIME)));
        }
        app = ScriptedUpstream.start("app");
        Path config = dir.resolve("kodiak.yaml");
        Files.writeString(config, "admin: {listen: off, state-file: off}\nmetrics: off\n"
                + "listeners:\n  - name: front\n    address: 127.0.0.1:0\n" + listenerExtra
                + "    routes:\n"
                + "      - {path-prefix: /static/, pool: app, static: {root: site, precompressed: [br, gzip]}}\n"
                + "      - {path-prefix: /files, pool: app, static: {root: site, index: none}}\n"
                + "      - {path-prefix: /fb/, pool: app, static: {root: site, fallback: true}}\n"
                + "      - {path-prefix: /open/, pool: app, static: {root: site, follow-symlinks: true, dotfiles: allow}}\n"
                + "pools:\n  app: {health-check: {type: none}, upstreams: [{name: app, address: \"" + app.hostPort() + "\"}]}\n");
        server = ProxyServer.start(ConfigLoader.load(config));
    }

    Path write(String name, String text) throws IOException {
        Path p = site.resolve(name);
        Files.createDirectories(p.getParent());
        return Files.writeString(p, text);
    }

    /** A file of {@code size} pseudo-random bytes (seeded). */
    Path random(String name, long size) throws IOException {
        Path p = site.resolve(name);
        Random r = new Random(42);
        byte[] buf = new byte[1 << 16];
        try (OutputStream out = Files.newOutputStream(p)) {
            for (long left = size; left > 0; left -= buf.length) {
                r.nextBytes(buf);
                out.write(buf, 0, (int) Math.min(buf.length, left));
            }
        }
        return p;
    }

    private void gzip(String name) throws IOException {
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(site.resolve(name + ".gz")))) {
            out.write(Files.readAllBytes(site.resolve(name)));
        }
    }

    int port() {
        return server.boundAddress("front").getPort();
    }

    RawClient client() throws IOException {
        return RawClient.connect(port());
    }

    static String get(String target, String... fields) {
        StringBuilder b = new StringBuilder("GET " + target + " HTTP/1.1\r\nHost: t\r\n");
        for (String f : fields) {
            b.append(f).append("\r\n");
        }
        return b.append("\r\n").toString();
    }

    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        server.close();
        app.close();
    }
}
