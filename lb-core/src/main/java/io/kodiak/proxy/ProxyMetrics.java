package io.kodiak.proxy;

import io.kodiak.accesslog.AccessLog;
import io.kodiak.metrics.ErrorCause;
import io.kodiak.metrics.MetricSet;
import io.kodiak.metrics.MetricsRegistry;
import io.kodiak.metrics.RequestStats;
import io.kodiak.metrics.StatusClass;
import io.kodiak.upstream.PoolRuntime;
import io.kodiak.upstream.Upstream;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;

import javax.management.ObjectName;

/**
 * Kodiak's pools, upstreams and listeners as MBeans ({@link MetricSet}s), kept in step with the
 * running configuration: {@link #sync} registers what a start, reload or runtime change added and
 * unregisters what it removed. The metric names are listed in the README; the MBeans are
 * {@code io.kodiak:type=Pool,pool="P"}, {@code io.kodiak:type=Upstream,pool="P",upstream="U"},
 * {@code io.kodiak:type=Listener,listener="L"}, for a listener with an access log,
 * {@code io.kodiak:type=AccessLog,listener="L"}, and per limit zone in use
 * {@code io.kodiak:type=RateLimit,zone="Z"} or {@code io.kodiak:type=ConcurrencyLimit,zone="Z"}
 * ({@link io.kodiak.limit.LimitMetrics}), and per discovery source
 * {@code io.kodiak:type=Discovery,pool="P",source="S"} ({@link DiscoveryMetrics}), keys in that order. A reload that replaces a
 * listener's access log replaces its series too, so its counters start again from 0 (a counter
 * reset, which {@code rate()} handles).
 */
final class ProxyMetrics implements AutoCloseable {
    /** Upstream states as exported: {@code kodiak_upstream_state{state="up"}} is 1 for the current one. */
    static final List<String> STATES = List.of("UP", "DOWN", "DRAIN", "MAINT");

    private final MetricsRegistry registry;
    private final ProxyContext ctx;
    /** What is registered, by the object it describes: a re-added upstream of the same name is a new series. */
    private final Map<Object, ObjectName> registered = new HashMap<>();

    ProxyMetrics(MetricsRegistry registry, ProxyContext ctx) {
        this.registry = registry;
        this.ctx = ctx;
    }

    MetricsRegistry registry() {
        return registry;
    }

    /** Registers the MBeans of what is new in {@code pools} and {@code listeners}, unregisters what is gone. */
    synchronized void sync(Collection<PoolRuntime> pools, Collection<ListenerRuntime> listeners,
                           Collection<DiscoveryRuntime.Source> sources) {
        Map<Object, Runnable> wanted = new java.util.LinkedHashMap<>();
        for (PoolRuntime p : pools) {
            wanted.put(p, () -> add(p, p.clientStats(), registry.name("Pool", "pool", p.name()), pool(p)));
            for (Upstream u : p.upstreams()) {
                wanted.put(u, () -> add(u, u.stats(), registry.name("Upstream", "pool", p.name(), "upstream", u.name()), upstream(u)));
            }
        }
        for (ListenerRuntime l : listeners) {
            wanted.put(l, () -> add(l, null, registry.name("Listener", "listener", l.config.name()), listener(l)));
            AccessLog log = l.accessLog;
            if (log != null) {
                wanted.put(log, () -> add(log, null, registry.name("AccessLog", "listener", log.listener()), accessLog(log)));
            }
        }
        // resolve: true, service:, kubernetes: one MBean per running source
        for (DiscoveryRuntime.Source s : sources) {
            wanted.put(s, () -> add(s, null, registry.name("Discovery", "pool", s.pool(), "source", s.id()), DiscoveryMetrics.of(s)));
        }
        // rate-limit, concurrency-limit: one MBean per zone in use
        for (io.kodiak.limit.RateZone z : ctx.features.limitZones().rateZones()) {
            wanted.put(z, () -> add(z, null, registry.name("RateLimit", "zone", z.config().name()),
                    io.kodiak.limit.LimitMetrics.of(z)));
        }
        for (io.kodiak.limit.ConcurrencyZone z : ctx.features.limitZones().concurrencyZones()) {
            wanted.put(z, () -> add(z, null, registry.name("ConcurrencyLimit", "zone", z.config().name()),
                    io.kodiak.limit.LimitMetrics.of(z)));
        }
        for (Object gone : List.copyOf(registered.keySet())) {
            if (!wanted.containsKey(gone)) {
                registry.unregister(registered.remove(gone));
                if (gone instanceof Upstream u) {
                    registry.untrack(u.stats());
                } else if (gone instanceof PoolRuntime p) {
                    registry.untrack(p.clientStats());
                }
            }
        }
        wanted.forEach((what, register) -> {
            if (!registered.containsKey(what)) {
                register.run();
            }
        });
    }

    private void add(Object what, RequestStats stats, ObjectName name, MetricSet set) {
        registry.register(name, set);
        registered.put(what, name);
        if (stats != null) {
            registry.track(stats);
        }
    }

    private MetricSet pool(PoolRuntime p) {
        RequestStats st = p.clientStats();
        MetricSet.Builder b = MetricSet.builder("pool " + p.name())
                .counter("requests_total", "Requests routed to the pool", () -> st.requestCount());
        statusClasses(b, st, "Responses sent to clients (Kodiak's own 502/503/504 included), by status class");
        b.latency("request_duration", "Request time as the client saw it, head read to last byte queued",
                        () -> st.latency().current())
                .latency("first_byte_duration", "Time from the request head read to the response head sent",
                        () -> st.timeToFirstByte().current())
                .counter("retries_total", "Retries on another upstream (reset, timeout or a listed status)", () -> p.retries().sum())
                .counter("queue_rejections_total", "reason", "full", "Requests answered 503 because the queue was full",
                        () -> p.queueFull().sum())
                .counter("queue_rejections_total", "reason", "timeout", "Requests answered 503 after the queue timeout",
                        () -> p.queueTimeouts().sum())
                .counter("panic_requests_total", "Requests sent while the pool was in panic mode", p::panicRequests)
                .counter("client_aborts_total", "Requests whose client went away before the response was complete",
                        () -> p.clientAborts().sum());
        for (String state : STATES) {
            b.gauge("upstreams", "state", state.toLowerCase(java.util.Locale.ROOT), "Upstreams in each state",
                    () -> count(p, u -> u.state().equals(state) ? 1 : 0));
        }
        return b.gauge("available_upstreams", "Upstreams that may take requests now (up, in rotation, not ejected)",
                        () -> count(p, u -> u.available() ? 1 : 0))
                .gauge("in_flight", "Requests in flight to the pool's upstreams", () -> count(p, Upstream::inFlight))
                .gauge("queue_length", "Requests waiting for an upstream under its max-connections", () -> {
                    WaitQueue q = ctx.queues.get(p);
                    return q == null ? 0 : q.length();
                })
                .gauge("panic", "1 while the pool is in panic mode (too few upstreams available)",
                        () -> p.selection().panic() ? 1 : 0)
                .build();
    }

    private MetricSet upstream(Upstream u) {
        RequestStats st = u.stats();
        MetricSet.Builder b = MetricSet.builder("upstream " + u.pool() + "/" + u.name())
                .counter("requests_total", "Attempts sent to the upstream (a retry is a new attempt elsewhere)",
                        () -> st.requestCount());
        statusClasses(b, st, "Responses received from the upstream, by status class");
        for (ErrorCause c : ErrorCause.values()) {
            b.counter("errors_total", "cause", c.label(), "Attempts that failed without a usable response, by cause",
                    () -> st.errorCount(c));
        }
        b.counter("received_bytes_total", "Bytes read from the upstream", st::bytesInCount)
                .counter("sent_bytes_total", "Bytes written to the upstream", st::bytesOutCount)
                .latency("response_duration", "Attempt time, upstream picked to last response byte",
                        () -> st.latency().current())
                .latency("first_byte_duration", "Time from the upstream picked to the response head",
                        () -> st.timeToFirstByte().current())
                .latency("connect_duration", "TCP connect time of new connections", () -> st.connectTime().current())
                .counter("checks_total", "result", "passed", "Active health checks that passed", () -> u.checks(true))
                .counter("checks_total", "result", "failed", "Active health checks that failed", () -> u.checks(false))
                .counter("transitions_total", "to", "up", "Times the health check took the upstream up", () -> u.transitions(true))
                .counter("transitions_total", "to", "down", "Times the health check took the upstream down", () -> u.transitions(false))
                .counter("ejections_total", "Times the outlier detector ejected the upstream", u::ejectionsTotal);
        for (String state : STATES) {
            b.gauge("state", "state", state.toLowerCase(java.util.Locale.ROOT),
                    "1 for the upstream's current state (admin state over health, as HAProxy shows it)",
                    () -> u.state().equals(state) ? 1 : 0);
        }
        return b.gauge("available", "1 if requests may be sent to the upstream now", () -> u.available() ? 1 : 0)
                .gauge("healthy", "1 if the active health check counts the upstream up", () -> u.healthy() ? 1 : 0)
                .gauge("in_flight", "Requests in flight to the upstream", u::inFlight)
                .gauge("max_connections", "The upstream's max-connections, 0 for no limit", u::maxConnections)
                .gauge("connections", "state", "idle", "Idle keep-alive connections waiting for reuse", () -> {
                    ConnectionPool cp = ctx.connectionPools.get(u);
                    return cp == null ? 0 : cp.idleCount();
                })
                .gauge("connections", "state", "active", "Open connections carrying a request", () -> {
                    ConnectionPool cp = ctx.connectionPools.get(u);
                    return cp == null ? 0 : Math.max(0, cp.open.get() - cp.idleCount());
                })
                .gauge("weight", "The weight in force (configured, or set at runtime)", u::weight)
                .gauge("effective_weight", "The weight the strategy uses now (slow start and the node's X-Kodiak-Weight applied)",
                        () -> (double) u.effectiveWeight() / Upstream.WEIGHT_SCALE)
                .gauge("latency_estimate_seconds", "The peak-EWMA latency estimate that latency-weighted balancing uses",
                        () -> u.latency().nanos() / 1e9)
                .build();
    }

    private static MetricSet listener(ListenerRuntime l) {
        return MetricSet.builder("listener " + l.config.name())
                .counter("connections_accepted_total", "Client connections accepted", () -> l.accepted.sum())
                .counter("connections_refused_total", "Client connections closed at once: over max-connections or max-connections-per-address, or shutting down",
                        () -> l.refused.sum())
                .counter("requests_total", "Request heads read", () -> l.requests.sum())
                .counter("rejected_requests_total", "Requests answered with an error and closed: malformed, too large, too slow",
                        () -> l.rejected.sum())
                .counter("dropped_header_fields_total", "Request header fields dropped because their name holds '_' (underscores-in-headers: drop)",
                        () -> l.droppedFields.sum())
                .gauge("connections", "Open client connections", () -> l.connections.get())
                .gauge("tls_handshakes_running", "TLS handshakes in progress (at most tls.max-handshakes)",
                        () -> l.handshakes.running())
                .gauge("tls_handshakes_waiting", "TLS connections waiting, unread, for a handshake slot",
                        () -> l.handshakes.waiting())
                .counter("tls_handshakes_total", "result", "ok", "TLS handshakes finished", () -> l.handshakes.completed.sum())
                .counter("tls_handshakes_total", "result", "failed",
                        "TLS handshakes the engine refused (no common protocol or suite, bad client certificate, not TLS)",
                        () -> l.handshakes.failed.sum())
                .counter("tls_handshakes_total", "result", "timeout",
                        "TLS connections closed for not finishing the handshake within tls.handshake-timeout (waiting included)",
                        () -> l.handshakes.timeouts.sum())
                .counter("proxy_protocol_headers_total", "result", "ok", "PROXY protocol headers read (proxy-protocol: true)",
                        () -> l.proxyProtocol.ok.sum())
                .counter("proxy_protocol_headers_total", "result", "invalid",
                        "Connections closed for a missing or malformed PROXY protocol header", () -> l.proxyProtocol.invalid.sum())
                .counter("proxy_protocol_headers_total", "result", "timeout",
                        "Connections closed for a PROXY protocol header not complete in time", () -> l.proxyProtocol.timeouts.sum())
                .counter("proxy_protocol_headers_total", "result", "refused",
                        "Connections closed at accept: the peer is not in proxy-protocol-from", () -> l.proxyProtocol.refused.sum())
                .counter("tls_handshakes_deferred_total", "TLS connections that had to wait for a handshake slot (over tls.max-handshakes)",
                        () -> l.handshakes.deferred.sum())
                .build();
    }

    private static MetricSet accessLog(AccessLog log) {
        return MetricSet.builder("access log " + log.listener())
                .counter("written_total", "Access log lines written", log::written)
                .counter("dropped_total", "Access log entries dropped because the writer was behind (its buffer full) or closing",
                        log::dropped)
                .counter("failed_total", "Access log lines lost because the target failed (disk full, syslog receiver gone)",
                        log::failed)
                .build();
    }

    private static void statusClasses(MetricSet.Builder b, RequestStats st, String help) {
        for (StatusClass c : StatusClass.values()) {
            b.counter("responses_total", "code", c.label(), help, () -> st.responseCount(c));
        }
    }

    private static double count(PoolRuntime p, ToIntFunction<Upstream> f) {
        int n = 0;
        for (Upstream u : p.upstreams()) {
            n += f.applyAsInt(u);
        }
        return n;
    }

    @Override
    public synchronized void close() {
        registered.clear();
        registry.close();
    }
}
