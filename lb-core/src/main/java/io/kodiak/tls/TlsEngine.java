package io.kodiak.tls;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

/**
 * Which TLS implementation a listener's connections run on ({@code tls.engine}).
 *
 * <ul>
 *   <li>{@link #OPENSSL}: BoringSSL through netty-tcnative (its native library ships in the
 *       distribution for Linux and macOS on x86-64 and ARM64, and Windows on x86-64). Its
 *       handshakes cost a fraction of the JDK's: the JDK's elliptic-curve and RSA code is the
 *       bottleneck of a TLS proxy (bench/RESULTS.md).</li>
 *   <li>{@link #JDK}: the JDK's own {@code SSLEngine}; works everywhere Java does.</li>
 *   <li>{@link #AUTO} (the default): OpenSSL where its native library loads, else the JDK, with
 *       one log line that says why.</li>
 * </ul>
 */
public enum TlsEngine {
    AUTO, OPENSSL, JDK;

    private static final Logger LOG = Logger.getLogger(TlsEngine.class.getName());
    private static final AtomicBoolean FALLBACK_LOGGED = new AtomicBoolean();

    /** The configured word ({@code auto}, {@code openssl}, {@code jdk}), or {@code null} if it is none of them. */
    public static TlsEngine parse(String word) {
        return switch (word.toLowerCase(Locale.ROOT)) {
            case "auto" -> AUTO;
            case "openssl", "boringssl" -> OPENSSL;
            case "jdk" -> JDK;
            default -> null;
        };
    }

    /**
     * The engine to use: {@link #OPENSSL} or {@link #JDK}, never {@link #AUTO}.
     *
     * @throws IllegalStateException for {@link #OPENSSL} where BoringSSL cannot load, saying why
     */
    public TlsEngine resolve() {
        return switch (this) {
            case JDK -> JDK;
            case OPENSSL -> {
                String why = unavailable();
                if (why != null) {
                    throw new IllegalStateException("openssl: BoringSSL cannot load here (" + why + "); use engine: jdk or auto");
                }
                yield OPENSSL;
            }
            case AUTO -> {
                String why = unavailable();
                if (why == null) {
                    yield OPENSSL;
                }
                if (FALLBACK_LOGGED.compareAndSet(false, true)) {
                    LOG.warning("TLS listeners use the JDK's TLS engine, slower than BoringSSL: " + why);
                }
                yield JDK;
            }
        };
    }

    /**
     * Why BoringSSL cannot be used here, or {@code null} if it can. Here rather than in
     * {@link OpenSslEngines}, so that a class path without netty is a reason, not an error.
     */
    static String unavailable() {
        try {
            if (io.netty.handler.ssl.OpenSsl.isAvailable()) {
                return null;
            }
            Throwable cause = io.netty.handler.ssl.OpenSsl.unavailabilityCause();
            return cause == null ? "netty-tcnative did not load" : String.valueOf(cause.getMessage());
        } catch (LinkageError e) {
            return "netty-handler or netty-tcnative is not on the class path (" + e + ")";
        }
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
