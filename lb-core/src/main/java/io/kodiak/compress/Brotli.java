package io.kodiak.compress;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Whether Brotli can be used here: brotli4j's native library is loaded on first use (when a
 * configuration enables brotli, at load time, never on a selector thread's first response), and
 * if it cannot be loaded (another platform, a stripped package, a {@code noexec} temp directory)
 * Kodiak says so once and offers gzip only.
 *
 * <p>Thread-safe (a lazily initialised holder).
 */
public final class Brotli {
    private static final Logger LOG = Logger.getLogger(Brotli.class.getName());

    private Brotli() {
    }

    /** Whether brotli4j's native encoder is loaded; loads it on the first call. */
    public static boolean available() {
        return Holder.AVAILABLE;
    }

    private static final class Holder {
        static final boolean AVAILABLE = load();

        private static boolean load() {
            try {
                if (com.aayushatharva.brotli4j.Brotli4jLoader.isAvailable()) {
                    return true;
                }
                LOG.log(Level.WARNING, "brotli is not available here (compressing with gzip only): "
                        + com.aayushatharva.brotli4j.Brotli4jLoader.getUnavailabilityCause());
            } catch (LinkageError | RuntimeException e) {
                LOG.log(Level.WARNING, "brotli is not available here (compressing with gzip only): " + e);
            }
            return false;
        }
    }
}
