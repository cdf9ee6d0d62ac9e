package io.kodiak.config;

import java.util.List;

/**
 * The {@code compression} section of a listener or route: which responses Kodiak compresses and
 * how (nginx {@code gzip}, HAProxy {@code compression}, Caddy {@code encode}). A route's section
 * replaces its listener's, so {@code compression: false} on a route turns it off there.
 *
 * @param enabled       false for {@code compression: false}
 * @param gzipLevel     the deflate level 1-9, or 0 when gzip is off
 * @param brotliQuality the brotli quality 0-11, or -1 when brotli is off
 * @param types         media types compressed, lower case, without parameters; {@code "text/*"}
 *                      for a whole top-level type, {@code "*"} for all
 * @param minLength     responses whose {@code Content-Length} is below this are sent as they are
 */
public record CompressionConfig(boolean enabled, int gzipLevel, int brotliQuality, List<String> types,
                                long minLength) implements FeatureConfig {
    /**
     * nginx's {@code gzip_comp_level} default: on text, level 1 gives most of level 6's saving for
     * a third of its CPU, and a proxy's CPU is shared by every request it carries.
     */
    public static final int DEFAULT_GZIP_LEVEL = 1;
    /**
     * Below ngx_brotli's default of 6: quality 4 compresses text about as well as gzip level 6
     * with less CPU, the usual choice for responses compressed on the fly (qualities 10-11 are for
     * files compressed ahead of time).
     */
    public static final int DEFAULT_BROTLI_QUALITY = 4;
    /**
     * Between nginx's 20 bytes (less than gzip's own framing saves nothing) and Traefik's 1024: a
     * body under 256 bytes fits one packet either way, and compressing it costs a compressor's
     * setup (hundreds of KiB of native state) for a few dozen bytes.
     */
    public static final long DEFAULT_MIN_LENGTH = 256;
    /** Text formats that compress well; images, video, archives and fonts (woff2) are compressed already. */
    public static final List<String> DEFAULT_TYPES = List.of("text/html", "text/css", "text/plain", "text/xml",
            "text/javascript", "text/csv", "text/markdown", "application/javascript", "application/json",
            "application/ld+json", "application/manifest+json", "application/xml", "application/rss+xml",
            "application/atom+xml", "application/xhtml+xml", "image/svg+xml", "application/wasm");

    /** {@code compression: false}. */
    public static final CompressionConfig OFF = new CompressionConfig(false, 0, -1, List.of(), DEFAULT_MIN_LENGTH);

    public CompressionConfig {
        types = List.copyOf(types);
    }

    /** {@code compression: true}: gzip and brotli at their default levels, the default types. */
    public static CompressionConfig defaults() {
        return new CompressionConfig(true, DEFAULT_GZIP_LEVEL, DEFAULT_BROTLI_QUALITY, DEFAULT_TYPES, DEFAULT_MIN_LENGTH);
    }
}
