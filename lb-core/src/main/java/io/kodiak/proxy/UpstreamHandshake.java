package io.kodiak.proxy;

import io.kodiak.config.UpstreamTlsConfig;
import io.kodiak.tls.UpstreamTls;
import io.kodiak.upstream.Upstream;
import org.glassfish.grizzly.CompletionHandler;
import org.glassfish.grizzly.Connection;
import org.glassfish.grizzly.ssl.SSLEngineConfigurator;
import org.glassfish.grizzly.ssl.SSLFilter;

import java.io.IOException;
import javax.net.ssl.SSLEngine;

/**
 * Starts the TLS handshake of a new upstream connection on the TLS chain's filter: non-blocking,
 * its steps run as the upstream's bytes arrive on the connection's selector thread, and the
 * outcome comes back once. The engine is the pool's ({@link UpstreamTls#newEngine}): the name
 * sent and verified is the pool's {@code server-name} or the upstream's host as configured.
 * A failure closes the connection (Grizzly does) and is reported with the verification's reason.
 */
final class UpstreamHandshake {
    /** Where the outcome goes; called on a selector thread (or at once, if the start itself fails). */
    interface Done {
        void handshaken(Connection<?> c);

        void failed(String why);
    }

    private UpstreamHandshake() {
    }

    static void start(ProxyContext ctx, Connection<?> c, UpstreamTlsConfig tls, Upstream u, Done outcome) {
        Done done = once(outcome);
        if (u.isUnix()) { // the config refuses tls for a pool with a Unix socket: a bug if here
            throw new IllegalStateException("no TLS to a Unix socket: " + u);
        }
        try {
            SSLEngine engine = tls.client().newEngine(u.host(), u.address().getPort());
            ctx.tlsFilter.handshake(c, new CompletionHandler<SSLEngine>() {
                @Override
                public void completed(SSLEngine e) {
                    done.handshaken(c);
                }

                @Override
                public void failed(Throwable t) {
                    c.closeSilently();
                    done.failed(UpstreamTls.failureReason(t));
                }

                @Override
                public void cancelled() {
                    failed(new IOException("handshake cancelled"));
                }

                @Override
                public void updated(SSLEngine e) {
                }
            }, null, new OneEngine(tls.client().context(), engine));
        } catch (IOException | RuntimeException e) {
            c.closeSilently();
            done.failed(UpstreamTls.failureReason(e));
        }
    }

    /** Grizzly may report a failure to the handler and then throw it from the call as well: one report. */
    private static Done once(Done d) {
        java.util.concurrent.atomic.AtomicBoolean reported = new java.util.concurrent.atomic.AtomicBoolean();
        return new Done() {
            @Override
            public void handshaken(Connection<?> c) {
                if (reported.compareAndSet(false, true)) {
                    d.handshaken(c);
                }
            }

            @Override
            public void failed(String why) {
                if (reported.compareAndSet(false, true)) {
                    d.failed(why);
                }
            }
        };
    }

    /** Hands Grizzly's filter the engine made for this connection, and leaves its settings alone. */
    private static final class OneEngine extends SSLEngineConfigurator {
        private final SSLEngine engine;

        OneEngine(javax.net.ssl.SSLContext context, SSLEngine engine) {
            super(context, true, false, false);
            this.engine = engine;
        }

        @Override
        public SSLEngine createSSLEngine() {
            return engine;
        }

        @Override
        public SSLEngine createSSLEngine(String peerHost, int peerPort) {
            return engine;
        }

        @Override
        public SSLEngine configure(SSLEngine e) {
            return e;
        }

        @Override
        public SSLEngineConfigurator copy() {
            return this;
        }
    }

    /** The TLS chain's filter: it only ever handshakes with the engines {@link #start} gives it. */
    static SSLFilter filter() {
        SSLEngineConfigurator refusing = new Refusing();
        return new SSLFilter(refusing, refusing);
    }

    /** Grizzly wants default configurators; an upstream connection never uses them. */
    private static final class Refusing extends SSLEngineConfigurator {
        Refusing() {
            super(context(), true, false, false);
        }

        private static javax.net.ssl.SSLContext context() {
            try {
                javax.net.ssl.SSLContext c = javax.net.ssl.SSLContext.getInstance("TLS");
                c.init(null, null, null); // the JDK's trust store; never handshakes
                return c;
            } catch (java.security.GeneralSecurityException e) {
                throw new IllegalStateException("the JDK has no TLS", e);
            }
        }

        @Override
        public SSLEngine createSSLEngine() {
            throw new IllegalStateException("upstream TLS engines are made per connection by the pool's settings");
        }

        @Override
        public SSLEngine createSSLEngine(String peerHost, int peerPort) {
            return createSSLEngine();
        }

        @Override
        public SSLEngineConfigurator copy() {
            return this;
        }
    }
}
