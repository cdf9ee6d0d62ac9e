package io.kodiak.admin;

import org.glassfish.grizzly.http.server.Request;
import org.glassfish.grizzly.http.server.Response;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The status page: {@code GET /} (index.html) and the files under {@code /assets/}, from the jar
 * ({@code docs/status-page.md}). The files are a fixed map read once from the class path: a name
 * from the request is only ever a key in that map, never part of a resource path, so no
 * {@code ..} or encoded slash can reach another file. Each answer carries a strong ETag (a hash of
 * the bytes, so it changes exactly when a new build changes the file) and {@code Cache-Control:
 * no-cache}: the browser keeps its copy but asks each time, and an upgraded Kodiak is never
 * shown with a stale script.
 */
final class PageAssets {
    /** One file of the page: its bytes, Content-Type and ETag. */
    record Asset(byte[] body, String type, String etag) {
    }

    /** {@code ""} is the page itself ({@code /}); the rest are {@code /assets/NAME}. */
    private static final Map<String, Asset> FILES = Map.of(
            "", load("index.html", "text/html; charset=utf-8"),
            "app.js", load("app.js", "text/javascript; charset=utf-8"),
            "table.js", load("table.js", "text/javascript; charset=utf-8"),
            "actions.js", load("actions.js", "text/javascript; charset=utf-8"),
            "session.js", load("session.js", "text/javascript; charset=utf-8"),
            "drains.js", load("drains.js", "text/javascript; charset=utf-8"),
            "format.js", load("format.js", "text/javascript; charset=utf-8"),
            "app.css", load("app.css", "text/css; charset=utf-8"),
            "favicon.svg", load("favicon.svg", "image/svg+xml"));

    void serve(Request req, Response resp, String method, List<String> path) throws Refused {
        Asset a = find(path);
        if (a == null) {
            throw new Refused(404, "no such page or asset (the status page is at /)");
        }
        if (!method.equals("GET") && !method.equals("HEAD")) {
            resp.setHeader("Allow", "GET, HEAD");
            throw new Refused(405, "method " + method + " is not allowed here (use GET)");
        }
        AdminHeaders.page(resp);
        resp.setHeader("ETag", a.etag());
        resp.setHeader("Cache-Control", "no-cache");
        String ifNoneMatch = req.getHeader("If-None-Match");
        // Weak comparison (RFC 9110 13.1.2), as for static files: a W/ a proxy added still matches.
        if (ifNoneMatch != null && io.kodiak.files.Validators.noneMatchFails(ifNoneMatch, a.etag())) {
            resp.setStatus(304);
            return;
        }
        resp.setStatus(200);
        resp.setContentType(a.type());
        resp.setContentLength(a.body().length);
        if (method.equals("HEAD")) {
            return;
        }
        try {
            resp.getOutputStream().write(a.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code /} or {@code /assets/NAME} for a NAME in the map (not the page itself under /assets/); else null. */
    private static Asset find(List<String> path) {
        if (path.isEmpty()) {
            return FILES.get("");
        }
        if (path.size() == 2 && path.get(0).equals("assets") && !path.get(1).isEmpty()) {
            return FILES.get(path.get(1));
        }
        return null;
    }

    /** Reads {@code page/NAME} next to this class; a missing file is a broken build, so it fails loudly at class load. */
    private static Asset load(String name, String type) {
        try (InputStream in = PageAssets.class.getResourceAsStream("page/" + name)) {
            if (in == null) {
                throw new IllegalStateException("the status page's " + name + " is missing from the jar (io/kodiak/admin/page/)");
            }
            byte[] body = in.readAllBytes();
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(body);
            String etag = "\"" + HexFormat.of().formatHex(hash, 0, 16) + "\"";
            return new Asset(body, type, etag);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the status page's " + name, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e); // every JVM has SHA-256
        }
    }
}
