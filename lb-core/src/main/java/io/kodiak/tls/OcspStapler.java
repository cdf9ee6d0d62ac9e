package io.kodiak.tls;

import org.bouncycastle.asn1.x509.AccessDescription;
import org.bouncycastle.asn1.x509.AuthorityInformationAccess;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.OCSPReqBuilder;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.SingleResp;
import org.bouncycastle.cert.ocsp.jcajce.JcaCertificateID;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * OCSP stapling's fetching half (nginx's {@code ssl_stapling on} with {@code ssl_stapling_verify}):
 * for each served certificate that names an OCSP responder, the responder's answer about it is
 * fetched on a thread of its own ({@code kodiak-ocsp}), checked (a successful answer about this
 * certificate, signed by its issuer or a responder the issuer certified, current), kept, and
 * fetched again half-way to its {@code nextUpdate}. A handshake only ever reads what is kept: it
 * never waits for a responder, and a responder that is down means no staple, never a failed or
 * slow handshake ("off when unreachable"). An answer past its {@code nextUpdate} is dropped.
 *
 * <p>Bounded: one entry per certificate registered (entries of certificates no handshake asked
 * for in a day are forgotten). Thread-safe.
 */
public final class OcspStapler {
    private static final Logger LOG = Logger.getLogger(OcspStapler.class.getName());
    static final Duration TIMEOUT = Duration.ofSeconds(10);
    static final Duration RETRY = Duration.ofMinutes(5);
    static final Duration MAX_REFRESH = Duration.ofHours(12);
    static final Duration FORGET = Duration.ofDays(1);
    static final int MAX_BYTES = 64 * 1024;

    /** The process's: listeners of every reload share it, so a certificate is fetched once. */
    public static final OcspStapler SHARED = new OcspStapler(Clock.systemUTC());

    private final Clock clock;
    private final Map<X509Certificate, Entry> entries = new ConcurrentHashMap<>();
    private volatile ScheduledExecutorService thread;
    private volatile HttpClient http;

    private static final class Entry {
        final X509Certificate leaf;
        final X509Certificate issuer;
        final URI responder;
        volatile byte[] response;
        volatile Instant nextUpdate = Instant.MIN;
        volatile Instant lastAsked;

        Entry(X509Certificate leaf, X509Certificate issuer, URI responder, Instant now) {
            this.leaf = leaf;
            this.issuer = issuer;
            this.responder = responder;
            this.lastAsked = now;
        }
    }

    OcspStapler(Clock clock) {
        this.clock = clock;
    }

    /** The responder {@code leaf} names (its AIA extension), or {@code null}. */
    static URI responder(X509Certificate leaf) {
        try {
            AuthorityInformationAccess aia = AuthorityInformationAccess.fromExtensions(new JcaX509CertificateHolder(leaf).getExtensions());
            if (aia == null) {
                return null;
            }
            for (AccessDescription d : aia.getAccessDescriptions()) {
                if (d.getAccessMethod().equals(AccessDescription.id_ad_ocsp)
                        && d.getAccessLocation().getTagNo() == GeneralName.uniformResourceIdentifier) {
                    URI u = URI.create(d.getAccessLocation().getName().toString());
                    return "http".equals(u.getScheme()) ? u : null; // RFC 6960 responders are plain HTTP
                }
            }
        } catch (RuntimeException | java.security.cert.CertificateEncodingException e) {
            return null;
        }
        return null;
    }

    /** Starts keeping answers for {@code key}, if it names a responder and its chain has the issuer. */
    public void register(CertifiedKey key) {
        X509Certificate leaf = key.leaf();
        URI responder = responder(leaf);
        if (responder == null || key.chain().size() < 2 || entries.containsKey(leaf)) {
            return;
        }
        Entry e = new Entry(leaf, key.chain().get(1), responder, clock.instant());
        if (entries.putIfAbsent(leaf, e) == null) {
            schedule(e, Duration.ZERO);
        }
    }

    /** The current answer about {@code leaf} to staple, or {@code null}: never waits. */
    public byte[] response(X509Certificate leaf) {
        Entry e = entries.get(leaf);
        if (e == null) {
            return null;
        }
        Instant now = clock.instant();
        e.lastAsked = now;
        return now.isBefore(e.nextUpdate) ? e.response : null;
    }

    private synchronized void schedule(Entry e, Duration in) {
        if (thread == null) {
            thread = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "kodiak-ocsp");
                t.setDaemon(true);
                return t;
            });
            http = HttpClient.newBuilder().connectTimeout(TIMEOUT).followRedirects(HttpClient.Redirect.NEVER).build();
        }
        thread.schedule(() -> refresh(e), Math.max(0, in.toMillis()), TimeUnit.MILLISECONDS);
    }

    /** Fetches one answer now (the stapler's thread, or a test's). */
    void refresh(Entry e) {
        Instant now = clock.instant();
        if (Duration.between(e.lastAsked, now).compareTo(FORGET) > 0 || now.isAfter(e.leaf.getNotAfter().toInstant())) {
            entries.remove(e.leaf, e);
            return;
        }
        Duration next;
        try {
            Instant nextUpdate = fetch(e, now);
            Duration half = Duration.between(now, nextUpdate).dividedBy(2);
            next = half.compareTo(MAX_REFRESH) > 0 ? MAX_REFRESH : half.compareTo(RETRY) < 0 ? RETRY : half;
        } catch (Exception x) {
            if (!now.isBefore(e.nextUpdate)) {
                e.response = null;
            }
            LOG.fine(() -> "OCSP for " + e.leaf.getSubjectX500Principal() + " from " + e.responder + ": " + x.getMessage());
            next = RETRY;
        }
        schedule(e, next);
    }

    /** Asks the responder; keeps a good answer and returns its nextUpdate. */
    private Instant fetch(Entry e, Instant now) throws Exception {
        CertificateID id = new JcaCertificateID(new JcaDigestCalculatorProviderBuilder().build().get(CertificateID.HASH_SHA1),
                e.issuer, e.leaf.getSerialNumber());
        byte[] request = new OCSPReqBuilder().addRequest(id).build().getEncoded();
        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(e.responder).timeout(TIMEOUT)
                .header("Content-Type", "application/ocsp-request").POST(HttpRequest.BodyPublishers.ofByteArray(request)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200 || r.body().length > MAX_BYTES) {
            throw new java.io.IOException("HTTP " + r.statusCode() + ", " + r.body().length + " bytes");
        }
        OCSPResp resp = new OCSPResp(r.body());
        if (resp.getStatus() != OCSPResp.SUCCESSFUL || !(resp.getResponseObject() instanceof BasicOCSPResp basic)) {
            throw new java.io.IOException("responder status " + resp.getStatus());
        }
        if (!signedByIssuerOrItsResponder(basic, e.issuer)) {
            throw new java.io.IOException("the answer is not signed by the issuer or a responder it certified");
        }
        for (SingleResp s : basic.getResponses()) {
            if (s.getCertID().equals(id)) {
                Instant thisUpdate = s.getThisUpdate().toInstant();
                Instant nextUpdate = s.getNextUpdate() == null ? now.plus(Duration.ofHours(1)) : s.getNextUpdate().toInstant();
                if (thisUpdate.isAfter(now.plus(Duration.ofMinutes(5))) || !now.isBefore(nextUpdate)) {
                    throw new java.io.IOException("the answer is not current (" + thisUpdate + " to " + nextUpdate + ")");
                }
                e.response = r.body();
                e.nextUpdate = nextUpdate;
                return nextUpdate;
            }
        }
        throw new java.io.IOException("the answer is about another certificate");
    }

    private static boolean signedByIssuerOrItsResponder(BasicOCSPResp basic, X509Certificate issuer) throws Exception {
        JcaContentVerifierProviderBuilder v = new JcaContentVerifierProviderBuilder();
        if (basic.isSignatureValid(v.build(issuer.getPublicKey()))) {
            return true;
        }
        for (org.bouncycastle.cert.X509CertificateHolder h : basic.getCerts()) { // a delegated responder (RFC 6960 4.2.2.2)
            X509Certificate c = new org.bouncycastle.cert.jcajce.JcaX509CertificateConverter().getCertificate(h);
            try {
                c.verify(issuer.getPublicKey());
                c.checkValidity();
            } catch (java.security.GeneralSecurityException notIt) {
                continue;
            }
            if (c.getExtendedKeyUsage() != null && c.getExtendedKeyUsage().contains("1.3.6.1.5.5.7.3.9")
                    && basic.isSignatureValid(v.build(c.getPublicKey()))) {
                return true;
            }
        }
        return false;
    }
}
