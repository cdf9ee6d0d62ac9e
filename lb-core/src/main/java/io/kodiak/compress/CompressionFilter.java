package io.kodiak.compress;

import io.kodiak.config.CompressionConfig;
import io.kodiak.filter.BodyTransform;
import io.kodiak.filter.ResponseContext;
import io.kodiak.filter.ResponseFilter;

import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Compresses the responses a {@link CompressionConfig} asks for, with gzip or Brotli as the
 * client's {@code Accept-Encoding} prefers ({@link AcceptEncoding}).
 *
 * <p>A response is left as it is when it has no body (HEAD, 204, 304), is partial (206 or
 * {@code Content-Range}: the client's ranges address the unencoded bytes), is encoded already
 * ({@code Content-Encoding}), forbids it ({@code Cache-Control: no-transform}, RFC 9111
 * §5.2.2.6), is shorter than the minimum length by its {@code Content-Length}, or has a media type
 * (without parameters, case-insensitive) not in the list. Of the responses that remain, every one
 * gets {@code Vary: Accept-Encoding}, compressed or not (nginx's {@code gzip_vary on}): a cache in
 * front must not hand a gzip body to a client that did not ask for one, nor the reverse. A
 * compressed response also loses {@code Accept-Ranges} (ranges of the encoded body are not
 * offered) and has a strong {@code ETag} weakened ({@code W/"x"}, as nginx does since 1.7.3): the
 * bytes differ from the upstream's, but the content is equivalent.
 *
 * <p>Runs after every other response filter and only once per response: a route's compression
 * replaces its listener's ({@link #encodesBody}). It decides on the fields and body as those
 * filters leave them ({@link ResponseContext#field}, {@link ResponseContext#bodyLength}): an
 * intercepted error's page is compressed or not by its own type and length, and the upstream's
 * {@code ETag}, which the page dropped, does not come back weakened.
 *
 * <p>Threading: shared by all requests of its listener or route; immutable, so thread-safe.
 * {@link #onResponse} runs on a selector thread and never blocks.
 */
public final class CompressionFilter implements ResponseFilter {
    private static final Logger LOG = Logger.getLogger(CompressionFilter.class.getName());

    private final CompressionConfig config;
    private final boolean brotli;
    private final boolean gzip;
    private final boolean anyType;
    private final List<String> types;

    public CompressionFilter(CompressionConfig config) {
        this.config = config;
        this.gzip = config.enabled() && config.gzipLevel() > 0;
        // Loads the native library now, at configuration time, rather than on a selector thread.
        this.brotli = config.enabled() && config.brotliQuality() >= 0 && Brotli.available();
        this.anyType = config.types().contains("*");
        this.types = config.types();
    }

    @Override
    public boolean encodesBody() {
        return true;
    }

    @Override
    public BodyTransform onResponse(ResponseContext r) {
        if (!config.enabled() || !r.hasBody() || !eligible(r)) {
            return null;
        }
        varyOnAcceptEncoding(r);
        AcceptEncoding.Coding coding = AcceptEncoding.choose(r.request().fields(), brotli, gzip);
        if (coding == null) {
            return null;
        }
        BodyTransform t = transform(coding);
        if (t == null) {
            coding = AcceptEncoding.choose(r.request().fields(), false, gzip);
            t = coding == null ? null : transform(coding);
            if (t == null) {
                return null;
            }
        }
        r.clientFields().set("Content-Encoding", coding.token).remove("Accept-Ranges");
        String etag = r.field("etag"); // none if an earlier filter removed it (an error page)
        if (etag != null && etag.trim().startsWith("\"")) {
            r.clientFields().set("ETag", "W/" + etag.trim());
        }
        return t;
    }

    /**
     * Whether the response may be compressed at all, whatever the client accepts: judged on its
     * fields and body as the earlier filters leave them (an error page in place of the upstream's
     * body is compressed or not by its own type and length).
     */
    boolean eligible(ResponseContext r) {
        if (r.head().status() == 206 || r.field("content-range") != null) {
            return false;
        }
        if (r.field("content-encoding") != null) {
            // Any Content-Encoding field, even an empty first one before "gzip", means the body
            // may already be encoded: compressing it again would make gzip inside gzip.
            return false;
        }
        if (r.fieldHasToken("cache-control", "no-transform")) {
            return false;
        }
        long length = r.bodyLength();
        if (length >= 0 && length < Math.max(1, config.minLength())) {
            return false;
        }
        return typeListed(r.field("content-type"));
    }

    /** Whether {@code contentType}'s media type (parameters dropped, case-insensitive) is in the list. */
    boolean typeListed(String contentType) {
        if (anyType) {
            return true;
        }
        if (contentType == null) {
            return false;
        }
        int semi = contentType.indexOf(';');
        String type = (semi < 0 ? contentType : contentType.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
        int slash = type.indexOf('/');
        if (slash <= 0) {
            return false;
        }
        return types.contains(type) || types.contains(type.substring(0, slash + 1) + "*");
    }

    /**
     * Adds {@code Accept-Encoding} to the response's {@code Vary}, as the field will go out after
     * the earlier filters' edits: once, and not at all under {@code Vary: *}. It goes in a field of
     * its own (RFC 9110 §5.3: several Vary fields are one list), so a Vary that a header rule set
     * or added stays as the rule made it.
     */
    private static void varyOnAcceptEncoding(ResponseContext r) {
        if (r.fieldHasToken("vary", "accept-encoding") || r.fieldHasToken("vary", "*")) {
            return;
        }
        r.clientFields().add("Vary", "Accept-Encoding");
    }

    /** A fresh compressor for one response, or null when brotli's native encoder cannot be made. */
    private BodyTransform transform(AcceptEncoding.Coding coding) {
        if (coding == AcceptEncoding.Coding.GZIP) {
            return new GzipTransform(config.gzipLevel());
        }
        try {
            return new BrotliTransform(config.brotliQuality());
        } catch (IOException | RuntimeException | LinkageError e) {
            LOG.log(Level.FINE, "brotli encoder not made; trying gzip", e);
            return null;
        }
    }

    @Override
    public String toString() {
        return "CompressionFilter[" + config + "]";
    }
}
