package io.kodiak.tls;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.OpenSslContextOption;
import io.netty.handler.ssl.OpenSslServerSessionContext;
import io.netty.handler.ssl.OpenSslSessionTicketKey;
import io.netty.handler.ssl.ReferenceCountedOpenSslContext;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;

import java.lang.ref.Cleaner;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;

/**
 * Engines of BoringSSL through netty-tcnative ({@code tls.engine: openssl}): the same settings as
 * {@link JdkEngines}, in OpenSSL's terms.
 *
 * <ul>
 *   <li>Certificates come from the same {@link SniKeyManager}: netty asks it with the engine whose
 *       handshake session holds the client's SNI name and signature algorithms, once per key type
 *       in the order of our cipher suites (ECDSA first), and serves the first it names; the
 *       client's TLS 1.2 suites come through {@link ClientHelloOffer}.</li>
 *   <li>Session resumption: a session cache (TLS 1.2 session IDs) and tickets (TLS 1.2 and 1.3, as
 *       nginx) under {@link TicketKeys}, a new key hourly, each kept as long as a session lives.
 *       Each listener, and each reload, has keys of its own: a ticket never resumes on a listener
 *       (or a client-certificate policy) that did not issue it.</li>
 *   <li>BoringSSL has no server-side renegotiation at all, and no 0-RTT unless asked for.</li>
 * </ul>
 *
 * <p><b>Native memory.</b> Contexts and engines are the reference-counted kind
 * ({@link SslProvider#OPENSSL_REFCNT}): each engine holds an OpenSSL {@code SSL} (some 40 KB with
 * its buffers) until {@code release()}, which the listener's TLS filter calls when the connection
 * closes ({@code ListenerSslFilter}), not when a garbage collection gets round to a finalizer: a
 * proxy that accepts thousands of connections a second and makes little garbage would otherwise
 * hold their native memory for minutes. The context is released by a {@link Cleaner} when its
 * {@code ServerTls} is unreachable (a reload replaced it); each engine holds a reference of its own
 * to it, so it lives on until the last connection that uses it closes.
 *
 * <p>Thread-safe: engines are made on any selector or worker thread.
 */
final class OpenSslEngines implements ServerTls.Engines {
    private static final Cleaner CLEANER = Cleaner.create();
    /** Netty's pooled direct buffers: the engine copies Grizzly's heap buffers through them. */
    /**
     * Where the engines copy Grizzly's heap buffers to hand BoringSSL direct memory, each wrap and
     * unwrap. netty's default allocator keeps per-thread caches only for its own threads, so on
     * Grizzly's selector threads every one of those copies took a shared arena's lock; this one
     * caches for every thread (a few selector threads: bounded).
     */
    private static final ByteBufAllocator ALLOC = new PooledByteBufAllocator(true, 0,
            PooledByteBufAllocator.defaultNumDirectArena(), PooledByteBufAllocator.defaultPageSize(),
            PooledByteBufAllocator.defaultMaxOrder(), PooledByteBufAllocator.defaultSmallCacheSize(),
            PooledByteBufAllocator.defaultNormalCacheSize(), true);
    /** OpenSSL's names of the groups {@link JdkEngines} sets: X25519, P-256, P-384 and P-521. */
    private static final String[] GROUPS = {"X25519", "P-256", "P-384", "P-521"};
    static final Duration TICKET_ROTATION = Duration.ofHours(1);

    private final ReferenceCountedOpenSslContext context;
    private final TicketKeys tickets;
    private final List<String> suites;
    /** The generation of the keys BoringSSL has; written under this object's lock. */
    private volatile long ticketGeneration = -1;

    OpenSslEngines(SniKeyManager keys, ClientAuth clientAuth, Clock clock, boolean stapling) throws GeneralSecurityException {
        boolean staple = stapling && STAPLING;
        SslContextBuilder b = SslContextBuilder.forServer(keys)
                .sslProvider(SslProvider.OPENSSL_REFCNT)
                .protocols(ServerTls.PROTOCOLS)
                // BoringSSL has no finite-field DHE: those suites drop out here, as the JDK's would
                // where it lacked one. TLS 1.3's three are BoringSSL's own, always on.
                .ciphers(ServerTls.CIPHER_SUITES, SupportedCipherSuiteFilter.INSTANCE)
                // NO_ADVERTISE: a client whose protocols do not meet ours gets no ALPN answer and is
                // served HTTP/1.1 all the same, as nginx does.
                .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, ServerTls.ALPN))
                .sessionCacheSize(ServerTls.SESSION_CACHE)
                .sessionTimeout(ServerTls.SESSION_SECONDS)
                .option(OpenSslContextOption.GROUPS, GROUPS.clone())
                // Certificate choice and client certificate checks run inside the handshake call, on
                // the connection's thread, instead of as delegated tasks the filter would run there anyway.
                .option(OpenSslContextOption.USE_TASKS, false)
                .enableOcsp(staple);
        if (clientAuth != null) {
            b.clientAuth(clientAuth.required() ? io.netty.handler.ssl.ClientAuth.REQUIRE : io.netty.handler.ssl.ClientAuth.OPTIONAL)
                    .trustManager(clientAuth.cas());
        }
        try {
            context = (ReferenceCountedOpenSslContext) b.build();
        } catch (SSLException e) {
            throw new GeneralSecurityException("BoringSSL refused the TLS settings: " + e.getMessage(), e);
        }
        CLEANER.register(this, new Release(context));
        if (staple) {
            for (CertifiedKey k : keys.certificates()) {
                OcspStapler.SHARED.register(k); // fetched now, before the first handshake asks
            }
            keys.stapling(OpenSslEngines::staple);
        }
        suites = List.copyOf(context.cipherSuites());
        tickets = new TicketKeys(clock, new SecureRandom(), TICKET_ROTATION, Duration.ofSeconds(ServerTls.SESSION_SECONDS));
        applyTicketKeys();
    }

    /** Whether this BoringSSL build staples OCSP answers (netty says; BoringSSL does). */
    static final boolean STAPLING = io.netty.handler.ssl.OpenSsl.isOcspSupported();

    /**
     * Called by the key manager inside the handshake, once the certificate is chosen: its current
     * OCSP answer goes with it (BoringSSL sends it to a client that asked, status_request). ACME's
     * certificates are registered here, at their first handshake.
     */
    private static void staple(SSLEngine engine, CertifiedKey chosen) {
        OcspStapler.SHARED.register(chosen);
        byte[] answer = OcspStapler.SHARED.response(chosen.leaf());
        if (answer != null && engine instanceof ReferenceCountedOpenSslEngine e) {
            e.setOcspResponse(answer);
        }
    }

    /** Releases the context's own reference; a static class, so that it does not hold the engines' owner. */
    private record Release(ReferenceCountedOpenSslContext context) implements Runnable {
        @Override
        public void run() {
            context.release();
        }
    }

    @Override
    public SSLEngine newEngine() {
        applyTicketKeys();
        ReferenceCountedOpenSslEngine engine = (ReferenceCountedOpenSslEngine) context.newEngine(ALLOC);
        SSLParameters p = engine.getSSLParameters();
        p.setUseCipherSuitesOrder(false); // as JdkEngines: the client's order, all suites being strong
        engine.setSSLParameters(p);
        return new FinishingEngine(engine);
    }

    /** Hands the ticket keys to BoringSSL when they rotated since it last had them. */
    private void applyTicketKeys() {
        TicketKeys.Ring ring = tickets.current();
        if (ring.generation() <= ticketGeneration) {
            return; // the usual case: no lock on the accept path
        }
        synchronized (this) {
            if (ring.generation() <= ticketGeneration) {
                return; // another thread installed these, or newer ones a thread with an older ring must not undo
            }
            OpenSslSessionTicketKey[] keys = ring.keys().stream()
                    .map(k -> new OpenSslSessionTicketKey(k.name(), k.hmacKey(), k.aesKey()))
                    .toArray(OpenSslSessionTicketKey[]::new);
            ((OpenSslServerSessionContext) context.sessionContext()).setTicketKeys(keys);
            ticketGeneration = ring.generation();
        }
    }

    @Override
    public List<String> cipherSuites() {
        return suites;
    }

    @Override
    public TlsEngine kind() {
        return TlsEngine.OPENSSL;
    }

    @Override
    public String toString() {
        return "OpenSslEngines{" + context + ", " + tickets + "}";
    }
}
