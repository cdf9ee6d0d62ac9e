package io.kodiak.files;

import java.util.Locale;
import java.util.Map;

/**
 * The {@code Content-Type} of a static file, from its extension: a built-in table of what web
 * applications ship (nginx's {@code mime.types}, trimmed to the web's formats; Django's
 * {@code collectstatic} output is covered). Text types say {@code charset=utf-8}, as Caddy does
 * and as WhiteNoise does; nginx sends none unless {@code charset} is set. Anything else is
 * {@code application/octet-stream}, nginx's {@code default_type}. Immutable and thread-safe.
 */
public final class MimeTypes {
    static final String DEFAULT = "application/octet-stream";
    private static final String UTF8 = "; charset=utf-8";

    private static final Map<String, String> TYPES = Map.ofEntries(
            Map.entry("html", "text/html" + UTF8),
            Map.entry("htm", "text/html" + UTF8),
            Map.entry("css", "text/css" + UTF8),
            Map.entry("js", "text/javascript" + UTF8),
            Map.entry("mjs", "text/javascript" + UTF8),
            Map.entry("json", "application/json"),
            Map.entry("map", "application/json"),
            Map.entry("webmanifest", "application/manifest+json"),
            Map.entry("txt", "text/plain" + UTF8),
            Map.entry("md", "text/markdown" + UTF8),
            Map.entry("csv", "text/csv" + UTF8),
            Map.entry("xml", "text/xml" + UTF8),
            Map.entry("svg", "image/svg+xml"),
            Map.entry("png", "image/png"),
            Map.entry("jpg", "image/jpeg"),
            Map.entry("jpeg", "image/jpeg"),
            Map.entry("gif", "image/gif"),
            Map.entry("webp", "image/webp"),
            Map.entry("avif", "image/avif"),
            Map.entry("ico", "image/x-icon"),
            Map.entry("bmp", "image/bmp"),
            Map.entry("woff", "font/woff"),
            Map.entry("woff2", "font/woff2"),
            Map.entry("ttf", "font/ttf"),
            Map.entry("otf", "font/otf"),
            Map.entry("eot", "application/vnd.ms-fontobject"),
            Map.entry("pdf", "application/pdf"),
            Map.entry("wasm", "application/wasm"),
            Map.entry("mp3", "audio/mpeg"),
            Map.entry("ogg", "audio/ogg"),
            Map.entry("mp4", "video/mp4"),
            Map.entry("webm", "video/webm"),
            Map.entry("zip", "application/zip"),
            Map.entry("gz", "application/gzip"),
            Map.entry("br", "application/octet-stream"),
            Map.entry("tar", "application/x-tar"));

    private MimeTypes() {
    }

    /** The type of a file named {@code name} (a file name, not a path). */
    public static String of(String name) {
        int dot = name.lastIndexOf('.');
        if (dot < 0 || dot == name.length() - 1) {
            return DEFAULT;
        }
        String t = TYPES.get(name.substring(dot + 1).toLowerCase(Locale.ROOT));
        return t == null ? DEFAULT : t;
    }
}
