package io.kodiak.acme;

import io.kodiak.tls.PemFiles;
import org.shredzone.acme4j.Account;
import org.shredzone.acme4j.AccountBuilder;
import org.shredzone.acme4j.Authorization;
import org.shredzone.acme4j.Identifier;
import org.shredzone.acme4j.Order;
import org.shredzone.acme4j.Session;
import org.shredzone.acme4j.Status;
import org.shredzone.acme4j.challenge.Challenge;
import org.shredzone.acme4j.challenge.Http01Challenge;
import org.shredzone.acme4j.challenge.TlsAlpn01Challenge;
import org.shredzone.acme4j.exception.AcmeException;
import org.shredzone.acme4j.util.KeyPairUtils;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;

/**
 * Obtains one certificate for one domain over ACME (RFC 8555), blocking, on the manager's thread:
 * an order, its authorization proven by HTTP-01 or TLS-ALPN-01 (whichever the CA offers first
 * among those Kodiak can answer), a new P-256 key and its CSR, the chain downloaded. Every call to
 * the CA has acme4j's network timeout, and every wait for the CA a bound ({@link #WAIT}), so a CA
 * that hangs fails the attempt instead of the manager.
 */
final class AcmeIssuer {
    /** How long one validation or the order's finalization may take before the attempt fails. */
    static final Duration WAIT = Duration.ofSeconds(90);
    static final Duration NETWORK_TIMEOUT = Duration.ofSeconds(30);

    static {
        // acme4j makes keys, CSRs and the TLS-ALPN-01 certificate with Bouncy Castle's provider by
        // name. Added last, so the JDK's providers still serve everything they can (TLS included).
        if (java.security.Security.getProvider("BC") == null) {
            java.security.Security.addProvider(new org.bouncycastle.jce.provider.BouncyCastleProvider());
        }
    }

    private final AcmeSettings settings;
    private final AcmeStorage storage;
    private final Challenges challenges;
    private Session session;
    private Account account;
    /** The TLS-ALPN-01 validation this issuer published last, withdrawn only by it. */
    private javax.net.ssl.SSLContext alpnContext;

    AcmeIssuer(AcmeSettings settings, AcmeStorage storage, Challenges challenges) {
        this.settings = settings;
        this.storage = storage;
        this.challenges = challenges;
    }

    /** A failed attempt, with the CA's or the network's reason. */
    static final class Failure extends Exception {
        Failure(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * Obtains and stores a certificate for {@code domain}.
     *
     * @param http          whether an HTTP-01 validation can reach Kodiak (a plain listener exists)
     * @param preferTlsAlpn try TLS-ALPN-01 first (the last attempt, by HTTP-01, failed: the plain
     *                      listener may not be what the CA reaches on port 80)
     */
    void issue(String domain, boolean http, boolean preferTlsAlpn) throws Failure, InterruptedException {
        try {
            Order order = account().newOrder().domain(domain).create();
            for (Authorization auth : order.getAuthorizations()) {
                if (auth.getStatus() != Status.VALID) {
                    authorize(domain, auth, http, preferTlsAlpn);
                }
            }
            KeyPair key = KeyPairUtils.createECKeyPair("secp256r1");
            order.waitUntilReady(WAIT);
            order.execute(key);
            Status s = order.waitForCompletion(WAIT);
            if (s != Status.VALID) {
                throw new Failure("the order ended " + s + problem(order.getError()), null);
            }
            List<X509Certificate> chain = order.getCertificate().getCertificateChain();
            storage.store(domain, chain, key.getPrivate());
        } catch (AcmeException e) {
            forget();
            throw new Failure(describe(e), e);
        } catch (IOException e) {
            throw new Failure("cannot store the certificate: " + e.getMessage(), e);
        }
    }

    /** After a failure: a fresh directory, nonce and account lookup next time. */
    void forget() {
        session = null;
        account = null;
    }

    private void authorize(String domain, Authorization auth, boolean http, boolean preferTlsAlpn)
            throws AcmeException, Failure, InterruptedException {
        Challenge chosen = null;
        for (Challenge c : auth.getChallenges()) {
            boolean usable = c instanceof Http01Challenge ? http && settings.challenges().contains(AcmeSettings.HTTP_01)
                    : c instanceof TlsAlpn01Challenge && settings.challenges().contains(AcmeSettings.TLS_ALPN_01);
            if (usable && (chosen == null || preferTlsAlpn && c instanceof TlsAlpn01Challenge)) {
                chosen = c;
            }
        }
        if (chosen == null) {
            throw new Failure("the CA offers no challenge Kodiak can answer for " + domain + " (it can answer "
                    + (http ? settings.challenges() : "tls-alpn-01 only, there being no plain listener") + ")", null);
        }
        try {
            publish(domain, chosen);
            chosen.trigger();
            Status s = chosen.waitForCompletion(WAIT);
            if (s != Status.VALID) {
                throw new Failure(chosen.getType() + " validation of " + domain + " failed" + problem(chosen.getError()), null);
            }
        } finally {
            withdraw(domain, chosen);
        }
    }

    private void publish(String domain, Challenge c) throws Failure {
        if (c instanceof Http01Challenge h) {
            challenges.putHttp(h.getToken(), h.getAuthorization());
        } else if (c instanceof TlsAlpn01Challenge t) {
            try {
                KeyPair k = KeyPairUtils.createKeyPair(2048); // acme4j signs it SHA256withRSA: an RSA key
                alpnContext = challenges.putAlpn(domain, t.createCertificate(k, Identifier.dns(domain)), k);
            } catch (GeneralSecurityException | RuntimeException e) {
                throw new Failure("cannot make the tls-alpn-01 certificate: " + e.getMessage(), e);
            }
        }
    }

    private void withdraw(String domain, Challenge c) {
        if (c instanceof Http01Challenge h) {
            challenges.removeHttp(h.getToken());
        } else {
            challenges.removeAlpn(domain, alpnContext);
        }
    }

    /** acme4j's message and, for a network error, what the network said ("Network error" alone tells nothing). */
    static String describe(Throwable e) {
        StringBuilder sb = new StringBuilder(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root != e) {
            sb.append(" (").append(root.getClass().getSimpleName()).append(root.getMessage() == null ? "" : ": " + root.getMessage())
                    .append(')');
        }
        return sb.toString();
    }

    private static String problem(java.util.Optional<org.shredzone.acme4j.Problem> p) {
        return p.map(x -> ": " + x.getDetail().orElse(x.getType().toString())).orElse("");
    }

    private Account account() throws AcmeException, Failure {
        if (account != null) {
            return account;
        }
        if (session == null) {
            session = settings.trust() == null ? new Session(settings.directory())
                    : new Session(settings.directory(), new TrustingProvider(trust(settings.trust())));
            session.networkSettings().setTimeout(NETWORK_TIMEOUT);
        }
        KeyPair key;
        try {
            key = storage.accountKey();
        } catch (IOException e) {
            throw new Failure("cannot read or store the account key in " + storage.dir() + ": " + e.getMessage(), e);
        }
        AccountBuilder b = new AccountBuilder().agreeToTermsOfService().useKeyPair(key);
        if (settings.email() != null) {
            b.addEmail(settings.email());
        }
        account = b.create(session); // finds the existing account of this key, or makes it
        return account;
    }

    static SSLContext trust(java.nio.file.Path bundle) throws Failure {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, io.kodiak.tls.TrustStores.of(PemFiles.certificates(bundle)), null);
            return ctx;
        } catch (IOException | GeneralSecurityException e) {
            throw new Failure("acme.trust: " + e.getMessage(), e);
        }
    }
}
