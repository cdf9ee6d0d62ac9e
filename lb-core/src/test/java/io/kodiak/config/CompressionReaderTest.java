package io.kodiak.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static io.kodiak.config.ConfigLoaderRejectionTest.ONE_POOL;
import static io.kodiak.config.ConfigLoaderRejectionTest.assertRejected;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The compression section: its forms, its defaults, and each rejection with file, line and key path. */
class CompressionReaderTest {
    private static final String LISTENER = "listeners:\n  - {name: l, address: 127.0.0.1:0, compression: %s}\n" + ONE_POOL;
    private static final String ROUTE = "listeners:\n  - name: l\n    address: 127.0.0.1:0\n"
            + "    routes: [{pool: web, compression: %s}]\n" + ONE_POOL;

    private static CompressionConfig listener(String section) throws Exception {
        List<FeatureConfig> f = ConfigLoader.parse(LISTENER.formatted(section), Path.of("kodiak.yaml")).listeners().get(0).features();
        assertEquals(1, f.size());
        return (CompressionConfig) f.get(0);
    }

    @Test
    void trueMeansTheDefaultsAndFalseMeansOff() throws Exception {
        assertEquals(CompressionConfig.defaults(), listener("true"));
        assertEquals(CompressionConfig.OFF, listener("false"));
        CompressionConfig d = CompressionConfig.defaults();
        assertEquals(1, d.gzipLevel());
        assertEquals(4, d.brotliQuality());
        assertEquals(256, d.minLength());
        assertEquals(d, listener("{}"), "an empty section is the defaults");
    }

    @Test
    void eachKeyIsRead() throws Exception {
        assertEquals(new CompressionConfig(true, 6, -1, List.of("text/*", "application/json", "*"), 1024),
                listener("{gzip: 6, brotli: false, types: [text/*, Application/JSON, '*', text/*], min-length: 1k}"));
        assertEquals(new CompressionConfig(true, 0, 9, CompressionConfig.DEFAULT_TYPES, 0),
                listener("{gzip: false, brotli: 9, min-length: 0}"));
        assertEquals(new CompressionConfig(true, 1, 4, CompressionConfig.DEFAULT_TYPES, 256),
                listener("{gzip: true, brotli: true}"));
        RouteConfig r = ConfigLoader.parse(ROUTE.formatted("false"), Path.of("kodiak.yaml")).listeners().get(0).routes().get(0);
        assertEquals(List.of(CompressionConfig.OFF), r.features());
    }

    @Test
    void badValuesAreRefusedWithTheirKeyPath() {
        assertRejected(LISTENER.formatted("yes"),
                "kodiak.yaml:2: listeners[0].compression: expected true or false, got \"yes\"");
        assertRejected(LISTENER.formatted("{gzip: 10}"),
                "kodiak.yaml:2: listeners[0].compression.gzip: 10 is out of range (must be 1-9)");
        assertRejected(LISTENER.formatted("{gzip: 0}"),
                "kodiak.yaml:2: listeners[0].compression.gzip: 0 is out of range (must be 1-9)");
        assertRejected(LISTENER.formatted("{brotli: 12}"),
                "kodiak.yaml:2: listeners[0].compression.brotli: 12 is out of range (must be 0-9)");
        assertRejected(LISTENER.formatted("{brotli: 11}"),
                "kodiak.yaml:2: listeners[0].compression.brotli: quality 11 compresses at well under 1 MB/s, on the"
                + " threads that serve every connection; on-the-fly compression takes 0-9 (default 4; ngx_brotli's is 6)."
                + " Compress files ahead of time for qualities 10-11");
        assertRejected(LISTENER.formatted("{gzip: false, brotli: false}"),
                "kodiak.yaml:2: listeners[0].compression: gzip and brotli are both off (use compression: false)");
        assertRejected(LISTENER.formatted("{types: [html]}"),
                "kodiak.yaml:2: listeners[0].compression.types[0]: not a media type: \"html\" (expected type/subtype, type/* or *, without parameters)");
        assertRejected(LISTENER.formatted("{types: ['text/html; charset=utf-8']}"),
                "kodiak.yaml:2: listeners[0].compression.types[0]: not a media type: \"text/html; charset=utf-8\" (expected type/subtype, type/* or *, without parameters)");
        assertRejected(LISTENER.formatted("{types: []}"),
                "kodiak.yaml:2: listeners[0].compression.types: must list at least one media type");
        assertRejected(LISTENER.formatted("{min-length: -1}"),
                "kodiak.yaml:2: listeners[0].compression.min-length: \"-1\" must not be negative");
        assertRejected(LISTENER.formatted("{level: 5}"),
                "kodiak.yaml:2: listeners[0].compression.level: unknown key (allowed: gzip, brotli, types, min-length)");
        assertRejected(ROUTE.formatted("{gzip: fast}"),
                "kodiak.yaml:4: listeners[0].routes[0].compression.gzip: expected an integer, got \"fast\"");
    }
}
