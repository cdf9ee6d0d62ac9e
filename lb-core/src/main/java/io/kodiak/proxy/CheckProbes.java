package io.kodiak.proxy;

import io.kodiak.config.HealthCheckConfig;
import io.kodiak.health.ConnectProbeLoop;
import io.kodiak.health.HttpProbeClient;
import io.kodiak.health.Probe;
import io.kodiak.health.ProbeTls;
import io.kodiak.health.TcpConnectProbe;
import io.kodiak.health.UnixHttpProbe;
import io.kodiak.tls.UpstreamTls;
import io.kodiak.upstream.PoolRuntime;
import io.kodiak.upstream.Upstream;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.util.concurrent.ScheduledExecutorService;
import javax.net.ssl.SSLEngine;

/**
 * Makes each upstream's check as its pool configures it, on the shared probe resources: TCP
 * checks on one {@link ConnectProbeLoop} and HTTP checks on one {@link HttpProbeClient}, each
 * created only when a pool first needs it. A TLS pool's checks speak TLS as its requests do, with
 * the same verification (HAProxy checks an {@code ssl} server over SSL): an HTTP check is an
 * HTTPS request, a TCP check a connect and a handshake. So an upstream whose certificate stopped
 * verifying goes down instead of failing every request sent to it. A Unix-socket upstream's checks
 * both run on the connect loop ({@link UnixHttpProbe} for HTTP).
 *
 * <p>Threading: the {@link ControlLoop}'s thread (and its constructor) only.
 */
final class CheckProbes implements AutoCloseable {
    private final ScheduledExecutorService scheduler;
    private ConnectProbeLoop connectLoop;
    private HttpProbeClient httpClient;

    /** @param scheduler runs the HTTP checks' deadlines */
    CheckProbes(ScheduledExecutorService scheduler) {
        this.scheduler = scheduler;
    }

    Probe probe(PoolRuntime pool, Upstream u) throws IOException {
        HealthCheckConfig hc = pool.config().healthCheck();
        if (u.isUnix()) {
            return unixProbe(hc, (UnixDomainSocketAddress) u.socketAddress());
        }
        CheckTls tls = pool.config().tls() == null ? null
                : new CheckTls(pool.config().tls().client(), u.host(), u.address().getPort());
        if (hc.type() == HealthCheckConfig.Type.HTTP) {
            if (httpClient == null) {
                httpClient = new HttpProbeClient(scheduler);
            }
            return httpClient.probe(u.address(), hc.http(), tls);
        }
        if (connectLoop == null) {
            connectLoop = new ConnectProbeLoop();
        }
        return new TcpConnectProbe(connectLoop, u.address(), tls);
    }

    /**
     * A Unix socket's check (never TLS: the config refuses it): both kinds run on the connect loop,
     * since the HTTP client only reaches TCP addresses.
     */
    private Probe unixProbe(HealthCheckConfig hc, UnixDomainSocketAddress socket) throws IOException {
        if (connectLoop == null) {
            connectLoop = new ConnectProbeLoop();
        }
        return hc.type() == HealthCheckConfig.Type.HTTP ? new UnixHttpProbe(connectLoop, socket, hc.http())
                : new TcpConnectProbe(connectLoop, socket);
    }

    /**
     * A check's TLS: the pool's client side for one upstream (its name, its port). A record, so
     * that the same settings for the same upstream are equal across the checks' restarts.
     */
    private record CheckTls(UpstreamTls tls, String host, int port) implements ProbeTls {
        @Override
        public SSLEngine newEngine() {
            return tls.newEngine(host, port);
        }
    }

    @Override
    public void close() {
        if (httpClient != null) {
            httpClient.close();
        }
        if (connectLoop != null) {
            connectLoop.close();
        }
    }

    @Override
    public String toString() {
        return "CheckProbes[" + (connectLoop == null ? "" : "tcp ") + (httpClient == null ? "" : "http") + "]";
    }
}
