package io.kodiak.proxy;

import org.glassfish.grizzly.Connection;
import org.glassfish.grizzly.Grizzly;
import org.glassfish.grizzly.attributes.Attribute;
import org.glassfish.grizzly.filterchain.FilterChainContext;
import org.glassfish.grizzly.filterchain.NextAction;
import org.glassfish.grizzly.ssl.SSLConnectionContext;
import org.glassfish.grizzly.ssl.SSLFilter;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLEngine;

/**
 * Grizzly's TLS filter, with one duty added: a connection's engine is released when the
 * connection closes. BoringSSL's engines ({@code tls.engine: openssl}) hold native memory that
 * only {@code release()} gives back; the JDK's are plain objects and are left to the collector.
 *
 * <p>The engine is made by the first read of a connection. A close that races with that read
 * (an idle timeout, the peer's reset) may find no engine yet; the read then finds the connection
 * closed when it returns and releases it itself. Whichever comes second releases, exactly once.
 */
final class ListenerSslFilter extends SSLFilter {
    private static final Attribute<Release> RELEASE = Grizzly.DEFAULT_ATTRIBUTE_BUILDER.createAttribute("kodiak.tls-release");

    ListenerSslFilter(ListenerEngines engines) {
        super(engines, engines);
    }

    /** Gives one connection's engine back, once. */
    private record Release(SSLConnectionContext ssl, AtomicBoolean done) {
        void run() {
            SSLEngine engine = ssl.getSslEngine();
            if (engine instanceof io.kodiak.tls.Releasable r && done.compareAndSet(false, true)) {
                r.release();
            }
        }
    }

    @Override
    protected SSLConnectionContext createSslConnectionContext(Connection connection) {
        SSLConnectionContext ssl = super.createSslConnectionContext(connection);
        Release release = new Release(ssl, new AtomicBoolean());
        RELEASE.set(connection, release);
        connection.addCloseListener((closeable, type) -> release.run());
        return ssl;
    }

    @Override
    public NextAction handleRead(FilterChainContext ctx) throws IOException {
        try {
            return super.handleRead(ctx);
        } finally {
            Connection<?> c = ctx.getConnection();
            Release release = c.isOpen() ? null : RELEASE.get(c);
            if (release != null) {
                release.run();
            }
        }
    }
}
