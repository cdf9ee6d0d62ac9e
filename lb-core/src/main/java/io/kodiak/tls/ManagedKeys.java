package io.kodiak.tls;


import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The certificates of one TLS listener's {@code tls.domains}, as the ACME manager has them now:
 * empty until a certificate is stored or issued, then replaced in place at each renewal, so the
 * listener's next handshake serves the new one without a reload. Handshakes in progress read
 * through an alias naming the exact certificate chosen ({@link #alias}), so a renewal between the
 * choice and the key lookup still pairs the chain with its own key.
 *
 * <p>Thread-safe: the manager's thread writes, selector threads read a volatile snapshot.
 */
public final class ManagedKeys {
    private final List<String> domains;
    private volatile Map<String, CertifiedKey> current = Map.of();
    /** The certificates replaced last, for a handshake that chose one just before its renewal. */
    private volatile Map<String, CertifiedKey> previous = Map.of();

    public ManagedKeys(List<String> domains) {
        this.domains = List.copyOf(domains);
    }

    public List<String> domains() {
        return domains;
    }

    /** The certificate for exactly {@code host}, or {@code null} (none yet, or not one of the domains). */
    public CertifiedKey get(String host) {
        return current.get(host);
    }

    /** The first domain that has a certificate (what a client without SNI gets), or {@code null}. */
    public String firstDomain() {
        Map<String, CertifiedKey> c = current;
        for (String d : domains) {
            if (c.containsKey(d)) {
                return d;
            }
        }
        return null;
    }

    /**
     * The managed certificate whose leaf is {@code leaf}, current or the one before, looked up by
     * the name the handshake asked for ({@code sni}) or, without one, the first domain's; or null.
     */
    public CertifiedKey served(java.security.cert.Certificate leaf, String sni) {
        String d = sni != null ? sni : firstDomain();
        if (d == null) {
            return null;
        }
        for (Map<String, CertifiedKey> m : List.of(current, previous)) {
            CertifiedKey k = m.get(d);
            if (k != null && k.leaf().equals(leaf)) {
                return k;
            }
        }
        return null;
    }

    /** Serves {@code key} for {@code domain} from the next handshake on. */
    public synchronized void put(String domain, CertifiedKey key) {
        if (!domains.contains(domain)) {
            throw new IllegalArgumentException(domain + " is not one of " + domains);
        }
        Map<String, CertifiedKey> next = new HashMap<>(current);
        CertifiedKey old = next.put(domain, key);
        if (old != null && old != key) {
            Map<String, CertifiedKey> prev = new HashMap<>(previous);
            prev.put(domain, old);
            previous = Map.copyOf(prev);
        }
        current = Map.copyOf(next);
    }

    /** The key manager's alias for {@code key} of {@code domain}. */
    public static String alias(String domain, CertifiedKey key) {
        return "acme:" + id(key) + ":" + domain;
    }

    /** Its serial number: a CA never gives two certificates the same one, so a renewal never reuses an alias. */
    private static String id(CertifiedKey key) {
        return key.leaf().getSerialNumber().toString(16);
    }

    /** The certificate an {@link #alias} names, or {@code null} if it is neither current nor the one before. */
    public CertifiedKey byAlias(String alias) {
        if (!alias.startsWith("acme:")) {
            return null;
        }
        int colon = alias.indexOf(':', 5);
        if (colon < 0) {
            return null;
        }
        String id = alias.substring(5, colon);
        String domain = alias.substring(colon + 1);
        for (Map<String, CertifiedKey> m : List.of(current, previous)) {
            CertifiedKey k = m.get(domain);
            if (k != null && id(k).equals(id)) {
                return k;
            }
        }
        return null;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ManagedKeys m && m.domains.equals(domains);
    }

    @Override
    public int hashCode() {
        return domains.hashCode();
    }

    @Override
    public String toString() {
        return "acme" + domains;
    }
}
