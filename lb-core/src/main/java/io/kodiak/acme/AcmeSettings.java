package io.kodiak.acme;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;

/**
 * The top-level {@code acme} section: where certificates for {@code tls.domains} come from, as
 * Caddy's global {@code email}, {@code acme_ca} and {@code storage} options say.
 *
 * @param directory   the ACME server's directory URL (Let's Encrypt's production one by default;
 *                    its staging one, Pebble or a private CA otherwise)
 * @param email       the contact for the account (expiry and policy mail), or {@code null}
 * @param trust       a PEM bundle the directory's HTTPS certificate must chain to instead of the
 *                    JDK's trust store (a private CA, Pebble), or {@code null}
 * @param storage     where the account key and the certificates are kept (owner-only files)
 * @param challenges  the challenge types Kodiak may answer: {@code http-01} (on a plain listener
 *                    on port 80 from the CA's point of view), {@code tls-alpn-01} (on the TLS one)
 * @param renewBefore renew this long before expiry, or {@code null}: when a third of the
 *                    certificate's lifetime is left (30 days of Let's Encrypt's 90, as Caddy does)
 */
public record AcmeSettings(URI directory, String email, Path trust, Path storage, Set<String> challenges,
                           Duration renewBefore) {
    public static final URI LETS_ENCRYPT = URI.create("https://acme-v02.api.letsencrypt.org/directory");
    public static final String HTTP_01 = "http-01";
    public static final String TLS_ALPN_01 = "tls-alpn-01";

    public AcmeSettings {
        challenges = Set.copyOf(challenges);
    }

    /** The defaults when the file has no {@code acme} section: Let's Encrypt, both challenges. */
    public static AcmeSettings defaults() {
        return new AcmeSettings(LETS_ENCRYPT, null, null, defaultStorage(), Set.of(HTTP_01, TLS_ALPN_01), null);
    }

    /** {@code $XDG_DATA_HOME/kodiak/acme}, else {@code ~/.local/share/kodiak/acme} (where Caddy keeps its own). */
    public static Path defaultStorage() {
        String xdg = System.getenv("XDG_DATA_HOME");
        Path base = xdg != null && !xdg.isEmpty() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".local", "share");
        return base.resolve("kodiak").resolve("acme");
    }
}
