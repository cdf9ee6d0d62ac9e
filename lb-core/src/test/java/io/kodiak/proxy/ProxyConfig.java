package io.kodiak.proxy;

import io.kodiak.config.BufferingConfig;
import io.kodiak.config.ClientLimits;
import io.kodiak.config.ClientTimeouts;
import io.kodiak.config.ConnectionPoolConfig;
import io.kodiak.config.ErrorPageConfig;
import io.kodiak.config.ForwardedHeaders;
import io.kodiak.config.HashConfig;
import io.kodiak.config.HealthCheckConfig;
import io.kodiak.config.OutlierConfig;
import io.kodiak.config.QueueConfig;
import io.kodiak.config.RetryConfig;
import io.kodiak.config.KodiakConfig;
import io.kodiak.config.ListenerConfig;
import io.kodiak.config.PoolConfig;
import io.kodiak.config.RouteConfig;
import io.kodiak.config.ServerHeaderPolicy;
import io.kodiak.config.UpstreamConfig;
import io.kodiak.config.UpstreamTimeouts;
import io.kodiak.testing.Loopback;
import io.kodiak.testing.ScriptedUpstream;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds the configuration of a Kodiak under test straight from the config records: listener
 * {@value #LISTENER} on {@code 127.0.0.1:0} routing everything to pool {@value #POOL}. Defaults are
 * generous (seconds) so that only the timeout a test is about can fire; tests shorten that one.
 */
final class ProxyConfig {
    static final String LISTENER = "test";
    static final String POOL = "p";

    private final List<UpstreamConfig> upstreams = new ArrayList<>();
    private final List<ListenerSpec> extraListeners = new ArrayList<>();
    private UpstreamTimeouts upstreamTimeouts = new UpstreamTimeouts(
            Duration.ofSeconds(3), Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofSeconds(10));
    private ClientTimeouts clientTimeouts = new ClientTimeouts(
            Duration.ofSeconds(5), Duration.ofSeconds(30), Duration.ofSeconds(10), Duration.ofSeconds(10));
    private ClientLimits limits = ClientLimits.DEFAULTS;
    private ConnectionPoolConfig connections = new ConnectionPoolConfig(32, Duration.ofSeconds(30));
    private BufferingConfig buffering = BufferingConfig.defaults();
    private ErrorPageConfig errorPage;
    private ServerHeaderPolicy serverHeader = ServerHeaderPolicy.DEFAULTS;
    private ForwardedHeaders forwarded = ForwardedHeaders.DEFAULTS;
    private boolean underscoresInHeaders;
    private PoolConfig.Strategy strategy = PoolConfig.Strategy.ROUND_ROBIN;
    private HashConfig hash = HashConfig.DEFAULTS;
    private QueueConfig queue = QueueConfig.DEFAULTS;
    /**
     * No active checks unless a test asks: many tests script upstreams that refuse or reset on
     * purpose, and a check marking one down in between would change what they observe.
     */
    /**
     * No retries unless a test asks: the tests of failure paths assert what the client sees when
     * one upstream fails, and a retry on the next one would hide it.
     */
    /** No ejections unless a test asks, for the same reason. */
    private OutlierConfig outliers = OutlierConfig.OFF;
    private Duration slowStart = Duration.ZERO;
    private io.kodiak.config.UpstreamTlsConfig tls;
    private RetryConfig retries = new RetryConfig(0, false, false, java.util.Set.of(), 0, 0);
    private HealthCheckConfig healthCheck = new HealthCheckConfig(HealthCheckConfig.Type.NONE,
            io.kodiak.health.HealthCheckPolicy.DEFAULTS, null);

    private record ListenerSpec(String name, ServerHeaderPolicy serverHeader) {
    }

    /** A config whose pool holds {@code ups}, each with weight 1, named after the upstream. */
    static ProxyConfig to(ScriptedUpstream... ups) {
        ProxyConfig c = new ProxyConfig();
        for (ScriptedUpstream u : ups) {
            c.upstream(u.name(), u.port(), 1);
        }
        return c;
    }

    ProxyConfig upstream(String name, int port, int weight) {
        upstreams.add(new UpstreamConfig(name, "127.0.0.1", port, weight));
        return this;
    }

    /** Sets max-connections on every upstream added so far. */
    ProxyConfig maxConnections(int max) {
        upstreams.replaceAll(u -> new UpstreamConfig(u.name(), u.host(), u.port(), u.weight(), max));
        return this;
    }

    ProxyConfig upstreamTimeouts(Duration connect, Duration response, Duration read, Duration send) {
        upstreamTimeouts = new UpstreamTimeouts(connect, response, read, send);
        return this;
    }

    /** TLS to the upstreams (default: plain HTTP). */
    ProxyConfig tls(io.kodiak.config.UpstreamTlsConfig t) {
        tls = t;
        return this;
    }

    ProxyConfig connectTimeout(Duration d) {
        UpstreamTimeouts t = upstreamTimeouts;
        upstreamTimeouts = new UpstreamTimeouts(d, t.response(), t.read(), t.send());
        return this;
    }

    ProxyConfig responseTimeout(Duration d) {
        UpstreamTimeouts t = upstreamTimeouts;
        upstreamTimeouts = new UpstreamTimeouts(t.connect(), d, t.read(), t.send());
        return this;
    }

    ProxyConfig clientTimeouts(Duration requestHeader, Duration keepAlive, Duration body, Duration send) {
        clientTimeouts = new ClientTimeouts(requestHeader, keepAlive, body, send);
        return this;
    }

    ProxyConfig clientTimeouts(ClientTimeouts t) {
        clientTimeouts = t;
        return this;
    }

    ProxyConfig strategy(PoolConfig.Strategy s) {
        this.strategy = s;
        return this;
    }

    ProxyConfig hash(HashConfig h) {
        this.strategy = PoolConfig.Strategy.CONSISTENT_HASH;
        this.hash = h;
        return this;
    }

    ProxyConfig slowStart(Duration d) {
        this.slowStart = d;
        return this;
    }

    ProxyConfig outliers(OutlierConfig o) {
        this.outliers = o;
        return this;
    }

    ProxyConfig retries(RetryConfig r) {
        this.retries = r;
        return this;
    }

    ProxyConfig healthCheck(HealthCheckConfig h) {
        this.healthCheck = h;
        return this;
    }

    ProxyConfig queue(int maxLength, Duration timeout) {
        this.queue = new QueueConfig(maxLength, timeout);
        return this;
    }

    ProxyConfig limits(ClientLimits l) {
        limits = l;
        return this;
    }

    ProxyConfig connections(int maxIdle, Duration idleTimeout) {
        connections = new ConnectionPoolConfig(maxIdle, idleTimeout);
        return this;
    }

    ProxyConfig buffering(boolean request, boolean response) {
        BufferingConfig b = buffering;
        buffering = new BufferingConfig(request, response, b.memory(), b.maxRequestBody(), b.maxTempFile(), b.tempDir());
        return this;
    }

    ProxyConfig maxRequestBody(long bytes) {
        BufferingConfig b = buffering;
        buffering = new BufferingConfig(b.request(), b.response(), b.memory(), bytes, b.maxTempFile(), b.tempDir());
        return this;
    }

    private io.kodiak.config.TempConfig temp;

    ProxyConfig tempDir(Path dir) {
        BufferingConfig b = buffering;
        buffering = new BufferingConfig(b.request(), b.response(), b.memory(), b.maxRequestBody(), b.maxTempFile(), dir);
        return this;
    }

    ProxyConfig errorPage(ErrorPageConfig page) {
        errorPage = page;
        return this;
    }

    ProxyConfig serverHeader(ServerHeaderPolicy policy) {
        serverHeader = policy;
        return this;
    }

    ProxyConfig forwarded(ForwardedHeaders f) {
        forwarded = f;
        return this;
    }

    /** {@code underscores-in-headers: pass} when true (default: drop). */
    ProxyConfig underscoresInHeaders(boolean pass) {
        underscoresInHeaders = pass;
        return this;
    }

    /** Another listener on 127.0.0.1:0, routing to the same pool, with its own Server policy. */
    ProxyConfig listener(String name, ServerHeaderPolicy policy) {
        extraListeners.add(new ListenerSpec(name, policy));
        return this;
    }

    KodiakConfig build() {
        PoolConfig pool = new PoolConfig(POOL, strategy, upstreams, upstreamTimeouts,
                connections, buffering, errorPage, PoolConfig.DEFAULT_LATENCY_DECAY, hash, queue,
                PoolConfig.defaultChoiceCount(strategy), healthCheck, retries, outliers, slowStart, 0, tls);
        List<ListenerConfig> listeners = new ArrayList<>();
        listeners.add(listenerConfig(LISTENER, serverHeader));
        for (ListenerSpec l : extraListeners) {
            listeners.add(listenerConfig(l.name(), l.serverHeader()));
        }
        Map<String, PoolConfig> pools = new LinkedHashMap<>();
        pools.put(POOL, pool);
        KodiakConfig c = new KodiakConfig(null, listeners, pools);
        return temp == null ? c : new KodiakConfig(null, listeners, pools, c.admin(), c.metrics(), c.version(),
                c.shutdownGrace(), temp);
    }

    /** The process's temp directory and budget (default: {@link io.kodiak.config.TempConfig#DEFAULTS}). */
    ProxyConfig temp(io.kodiak.config.TempConfig t) {
        this.temp = t;
        return this;
    }

    private io.kodiak.config.RequestTracing tracing = io.kodiak.config.RequestTracing.DEFAULTS;

    /** The listeners' request ID and X-Request-Start settings. */
    ProxyConfig tracing(io.kodiak.config.RequestTracing t) {
        this.tracing = t;
        return this;
    }

    private io.kodiak.config.AccessLogConfig accessLog;

    /** Every listener's access log (default: none). */
    ProxyConfig accessLog(io.kodiak.config.AccessLogConfig c) {
        this.accessLog = c;
        return this;
    }

    private io.kodiak.config.TlsConfig listenerTls;

    /** Every listener's TLS (default: plain HTTP). */
    ProxyConfig listenerTls(io.kodiak.config.TlsConfig t) {
        this.listenerTls = t;
        return this;
    }

    private ListenerConfig listenerConfig(String name, ServerHeaderPolicy policy) {
        return new ListenerConfig(name, Loopback.at(0), List.of(new RouteConfig(null, null, POOL)),
                clientTimeouts, limits, forwarded, policy, underscoresInHeaders, tracing, accessLog, listenerTls);
    }

    /** Starts Kodiak with this configuration. */
    TestProxy start() throws IOException {
        return TestProxy.start(build());
    }

    @Override
    public String toString() {
        return "ProxyConfig" + upstreams;
    }
}
