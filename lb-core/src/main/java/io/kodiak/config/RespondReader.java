package io.kodiak.config;

import io.kodiak.io.BoundedFile;
import io.kodiak.http.FieldEdits;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads a route's {@code respond}: a status, or {@code {status, body | file, content-type,
 * headers}} ({@link RespondConfig}). A file is read now, relative to the configuration's directory.
 */
final class RespondReader {
    private static final List<String> KEYS = List.of("status", "body", "file", "content-type", "headers");
    private static final String TEXT = "text/plain; charset=utf-8";
    /** Content types by file extension, for {@code file}: the few a fixed answer is made of. */
    private static final Map<String, String> TYPES = Map.ofEntries(
            Map.entry("html", "text/html; charset=utf-8"), Map.entry("htm", "text/html; charset=utf-8"),
            Map.entry("txt", TEXT), Map.entry("css", "text/css; charset=utf-8"),
            Map.entry("js", "text/javascript; charset=utf-8"), Map.entry("mjs", "text/javascript; charset=utf-8"),
            Map.entry("json", "application/json"), Map.entry("xml", "application/xml"),
            Map.entry("svg", "image/svg+xml"), Map.entry("png", "image/png"), Map.entry("gif", "image/gif"),
            Map.entry("jpg", "image/jpeg"), Map.entry("jpeg", "image/jpeg"), Map.entry("webp", "image/webp"),
            Map.entry("ico", "image/x-icon"), Map.entry("pdf", "application/pdf"),
            Map.entry("webmanifest", "application/manifest+json"));

    private RespondReader() {
    }

    /**
     * With {@code request-id.echo}, Kodiak adds the request ID field to its answers: a fixed
     * answer's {@code headers} may not name it too (the client would get two).
     */
    static void refuseEchoedId(ConfigNode respond, String idHeader) throws ConfigException {
        ConfigNode headers = respond.mapping(KEYS).get("headers");
        if (headers == null) {
            return;
        }
        ConfigMapping h = headers.freeMapping();
        for (String name : h.keys()) {
            if (name.equalsIgnoreCase(idHeader)) {
                throw h.keyError(name, "Kodiak echoes the request ID in " + name + " (the listener's request-id.echo"
                        + " is on), so the answer would carry two: leave it out, or turn echo off");
            }
        }
    }

    static RespondConfig read(ConfigNode node, Path baseDir) throws ConfigException {
        if (node.isScalar()) {
            return new RespondConfig(node.integer(200, 599), null, new byte[0], null, List.of());
        }
        ConfigMapping m = node.mapping(KEYS);
        int status = m.get("status") == null ? 200 : m.get("status").integer(200, 599);
        if (m.get("body") != null && m.get("file") != null) {
            throw m.keyError("file", "cannot be used with body (one or the other)");
        }
        byte[] body = new byte[0];
        Path file = null;
        String type = null;
        ConfigNode bodyNode = m.get("body") != null ? m.get("body") : m.get("file");
        if (m.get("body") != null) {
            body = m.get("body").text().getBytes(StandardCharsets.UTF_8);
            type = TEXT;
        } else if (m.get("file") != null) {
            file = baseDir.resolve(m.get("file").string()).normalize();
            body = readFile(m.get("file"), file);
            type = typeOf(file);
        }
        // RFC 9110 §15.3.6: a server must not generate content in a 205 either.
        if ((status == 204 || status == 205 || status == 304) && bodyNode != null && body.length > 0) {
            throw bodyNode.error("a " + status + " answer carries no body");
        }
        if (m.get("content-type") != null) {
            type = m.get("content-type").parse("a media type", Values::fieldValue);
        }
        List<Map.Entry<String, String>> headers = new ArrayList<>();
        if (m.get("headers") != null) {
            ConfigMapping h = m.get("headers").freeMapping();
            FieldEdits check = new FieldEdits();
            for (String name : h.keys()) {
                ConfigNode v = h.get(name);
                String value = v.parse("a header value", Values::fieldValue);
                if (name.equalsIgnoreCase("content-type")) {
                    throw h.keyError(name, "set it with respond.content-type");
                }
                if (name.equalsIgnoreCase("date") || name.equalsIgnoreCase("server")) {
                    throw h.keyError(name, "Kodiak sets it (Server: see server-header)");
                }
                try {
                    check.add(name, value);
                } catch (IllegalArgumentException e) {
                    throw h.keyError(name, e.getMessage());
                }
                headers.add(Map.entry(name, value));
            }
        }
        return new RespondConfig(status, type, body, file, headers);
    }

    private static byte[] readFile(ConfigNode n, Path file) throws ConfigException {
        try {
            byte[] b;
            try {
                b = BoundedFile.readAll(file, RespondConfig.MAX_FILE_BYTES);
            } catch (BoundedFile.TooLarge e) {
                throw n.error(file + " is larger than " + RespondConfig.MAX_FILE_BYTES + " bytes (1 MiB)");
            }
            return b;
        } catch (IOException e) {
            throw n.error("cannot read " + file + ": " + ConfigLoader.reason(e));
        }
    }

    /** The content type of {@code file} by its extension; application/octet-stream if unknown. */
    static String typeOf(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String type = dot < 0 ? null : TYPES.get(name.substring(dot + 1).toLowerCase(Locale.ROOT));
        return type == null ? "application/octet-stream" : type;
    }
}
