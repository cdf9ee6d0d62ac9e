package io.kodiak.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Reads a {@code compression} section ({@link CompressionConfig}):
 * <pre>
 * compression: true                      # gzip and brotli, default types and minimum length
 * compression: false                     # off (on a route: the listener's is off there too)
 * compression:
 *   gzip: 6                              # true (level 1), false, or a level 1-9
 *   brotli: false                        # true (quality 4), false, or a quality 0-9
 *   types: [text/*, application/json]    # media types; "text/*" or "*" for many
 *   min-length: 1k                       # a size
 * </pre>
 */
final class CompressionReader {
    private static final List<String> KEYS = List.of("gzip", "brotli", "types", "min-length");
    /** A media type's {@code type/subtype} (RFC 9110 §8.3.1 tokens), or {@code type/*}. */
    private static final Pattern TYPE = Pattern.compile("[!#$%&'*+.^_`|~0-9a-z-]+/(\\*|[!#$%&'+.^_`|~0-9a-z-]+)");
    private static final int MAX_TYPES = 200;
    /**
     * Brotli's qualities 10 and 11 search for matches exhaustively: well under 1 MB/s, run on a
     * selector thread per response chunk. nginx's ngx_brotli defaults to 6 and Caddy to about 4;
     * gzip's 9 stays allowed, as it costs only a few times its level 1.
     */
    static final int MAX_BROTLI_QUALITY = 9;

    private CompressionReader() {
    }

    static CompressionConfig read(ConfigNode node, Path baseDir) throws ConfigException {
        if (node.isScalar()) {
            return node.bool() ? CompressionConfig.defaults() : CompressionConfig.OFF;
        }
        ConfigMapping m = node.mapping(KEYS);
        int gzip = level(m.get("gzip"), 1, 9, CompressionConfig.DEFAULT_GZIP_LEVEL, 0);
        ConfigNode b = m.get("brotli");
        if (b != null && b.isScalar() && b.string().matches("1[01]")) {
            throw b.error("quality " + b.string() + " compresses at well under 1 MB/s, on the threads that"
                    + " serve every connection; on-the-fly compression takes 0-" + MAX_BROTLI_QUALITY
                    + " (default 4; ngx_brotli's is 6). Compress files ahead of time for qualities 10-11");
        }
        int brotli = level(b, 0, MAX_BROTLI_QUALITY, CompressionConfig.DEFAULT_BROTLI_QUALITY, -1);
        if (gzip == 0 && brotli < 0) {
            throw node.error("gzip and brotli are both off (use compression: false)");
        }
        List<String> types = m.get("types") == null ? CompressionConfig.DEFAULT_TYPES : types(m.get("types"));
        ConfigNode min = m.get("min-length");
        long minLength = min == null ? CompressionConfig.DEFAULT_MIN_LENGTH
                : min.isScalar() && min.string().equals("0") ? 0 : min.size(Long.MAX_VALUE);
        return new CompressionConfig(true, gzip, brotli, types, minLength);
    }

    /** {@code true} (the default level), {@code false} ({@code off}) or a level in {@code min..max}. */
    private static int level(ConfigNode n, int min, int max, int dflt, int off) throws ConfigException {
        if (n == null) {
            return dflt;
        }
        if (n.isScalar() && n.string().matches("(?i)true|false")) {
            return n.bool() ? dflt : off;
        }
        return n.integer(min, max);
    }

    private static List<String> types(ConfigNode n) throws ConfigException {
        List<ConfigNode> items = n.sequence();
        if (items.isEmpty()) {
            throw n.error("must list at least one media type");
        }
        if (items.size() > MAX_TYPES) {
            throw n.error("lists more than " + MAX_TYPES + " media types");
        }
        List<String> types = new ArrayList<>();
        for (ConfigNode item : items) {
            String t = item.string().trim().toLowerCase(Locale.ROOT);
            if (!t.equals("*") && !TYPE.matcher(t).matches()) {
                throw item.error("not a media type: " + Values.quote(item.string())
                        + " (expected type/subtype, type/* or *, without parameters)");
            }
            if (!types.contains(t)) {
                types.add(t);
            }
        }
        return List.copyOf(types);
    }
}
