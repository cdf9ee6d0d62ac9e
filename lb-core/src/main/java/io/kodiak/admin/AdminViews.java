package io.kodiak.admin;

import io.kodiak.config.HealthCheckConfig;
import io.kodiak.upstream.AdminState;
import io.kodiak.upstream.PoolRuntime;
import io.kodiak.upstream.Upstream;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the admin API shows: the JSON objects of the status, the configuration, a pool and an
 * upstream, as {@code docs/admin-api.md} describes them. Maps keep their keys in the documented order.
 */
final class AdminViews {
    private final Control control;
    /** The samples behind the rates and {@code /v1/history}; the admin server's timer drives it. */
    private final StatusHistory sampler;
    private final LiveViews live;

    AdminViews(Control control) {
        this.control = control;
        this.sampler = StatusHistory.of(control);
        this.live = new LiveViews(control, sampler);
    }

    /** What the admin server's timer calls every second ({@link StatusHistory#sampleLogged()}). */
    StatusHistory sampler() {
        return sampler;
    }

    Map<String, Object> status() {
        Map<String, Object> m = new LinkedHashMap<>();
        Map<String, Object> kodiak = configInfo();
        live.instance(kodiak);
        m.put("kodiak", kodiak);
        m.put("listeners", live.listeners());
        List<Object> pools = new ArrayList<>();
        for (PoolRuntime p : control.pools()) {
            pools.add(pool(p));
        }
        m.put("pools", pools);
        return m;
    }

    /** {@code GET /v1/history}: the sparklines' series (docs/admin-api.md). */
    Map<String, Object> history() {
        return live.history();
    }

    Map<String, Object> configInfo() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("config_version", control.config().version());
        m.put("config_file", control.config().source() == null ? null : control.config().source().toAbsolutePath().toString());
        m.put("started_at", control.startedAt().toString());
        Path sf = control.config().admin().stateFile();
        m.put("state_file", sf == null ? null : sf.toString());
        return m;
    }

    Map<String, Object> pool(PoolRuntime p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", p.name());
        m.put("strategy", p.config().strategy().configName());
        PoolRuntime.Selection s = p.selection();
        m.put("available", s.members().stream().filter(Upstream::available).count());
        m.put("panic", s.panic());
        m.put("queued", control.queued(p.name()));
        List<Object> ups = new ArrayList<>();
        for (Upstream u : p.upstreams()) {
            ups.add(upstream(u));
        }
        m.put("upstreams", ups);
        m.put("sources", sources(p));
        LiveViews.pool(ups, m);
        return m;
    }

    /**
     * The pool's DNS and Kubernetes sources: how many addresses each has, whether its set is a
     * last good one kept through failures ({@code stale}), when it last answered and failed, when
     * it asks next, and its answers by result.
     */
    private List<Object> sources(PoolRuntime p) {
        List<Object> out = new ArrayList<>();
        long now = System.currentTimeMillis();
        control.sources(p.name()).forEach((id, st) -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("source", id);
            m.put("addresses", st.addresses());
            m.put("stale", st.stale());
            m.put("last_success", st.lastSuccessMillis() == 0 ? null : Instant.ofEpochMilli(st.lastSuccessMillis()).toString());
            m.put("last_error", st.lastError());
            m.put("next_refresh_ms", st.nextRefreshMillis() == 0 ? null : Math.max(0, st.nextRefreshMillis() - now));
            m.put("results", new java.util.TreeMap<>(st.results()));
            out.add(m);
        });
        return out;
    }

    Map<String, Object> upstream(Upstream u) {
        PoolRuntime p = control.pool(u.pool());
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("pool", u.pool());
        m.put("name", u.name());
        m.put("address", u.hostPort());
        m.put("source", u.source());
        m.put("discovery", u.discovery().name().toLowerCase(java.util.Locale.ROOT));
        m.put("state", u.state());
        m.put("reasons", u.stateReasons());
        m.put("admin_state", u.adminState().apiName());
        boolean checked = p.config().healthCheck().type() != HealthCheckConfig.Type.NONE
                && u.adminState() != AdminState.MAINT;
        m.put("health", checked ? (u.healthy() ? "up" : "down") : "unchecked");
        m.put("ejected", u.ejected());
        m.put("node_state", u.nodeDrain() ? "drain" : "ready");
        m.put("weight", u.weight());
        m.put("configured_weight", u.configuredWeight());
        m.put("effective_weight", u.adminOut() ? 0.0 : u.effectiveWeight() / (double) Upstream.WEIGHT_SCALE);
        m.put("slow_start", u.slowStarting());
        m.put("in_flight", u.inFlight());
        m.put("max_connections", u.maxConnections());
        m.put("idle_connections", control.idleConnections(u));
        m.put("requests", u.requests());
        m.put("failures", u.failures());
        Upstream.CheckRecord c = u.lastCheck();
        if (c == null) {
            m.put("last_check", null);
        } else {
            Map<String, Object> cm = new LinkedHashMap<>();
            cm.put("passed", c.passed());
            cm.put("detail", c.detail());
            cm.put("at", Instant.ofEpochMilli(c.epochMillis()).toString());
            m.put("last_check", cm);
        }
        live.upstream(u, m);
        return m;
    }

    /**
     * Every TLS listener's certificates, as served now: from files (names, key type, expiry,
     * file) and from ACME (each domain with its expiry, renewal time and failures in a row).
     */
    Map<String, Object> certificates() {
        io.kodiak.acme.AcmeManager acme = control.acme();
        List<Object> listeners = new ArrayList<>();
        for (io.kodiak.config.ListenerConfig l : control.config().listeners()) {
            if (l.tls() == null) {
                continue;
            }
            Map<String, Object> lm = new LinkedHashMap<>();
            lm.put("listener", l.name());
            List<Object> files = new ArrayList<>();
            for (int i = 0; i < l.tls().certificates().size(); i++) {
                io.kodiak.tls.CertifiedKey k = l.tls().certificates().get(i);
                Map<String, Object> km = new LinkedHashMap<>();
                km.put("names", k.names());
                km.put("key_type", k.keyType());
                km.put("not_after", k.leaf().getNotAfter().toInstant().toString());
                km.put("file", l.tls().files().get(i).cert().toString());
                files.add(km);
            }
            lm.put("files", files);
            List<Object> domains = new ArrayList<>();
            io.kodiak.tls.ManagedKeys managed = l.tls().server().managed();
            for (String d : managed == null ? List.<String>of() : managed.domains()) {
                io.kodiak.acme.AcmeManager.Status st = acme == null ? null : acme.status(d);
                Map<String, Object> dm = new LinkedHashMap<>();
                dm.put("domain", d);
                dm.put("not_after", st == null || st.notAfter() == null ? null : st.notAfter().toString());
                dm.put("renew_at", st == null || st.renewAt() == null ? null : st.renewAt().toString());
                dm.put("failures", st == null ? 0 : st.failures());
                dm.put("next_try", st == null || st.nextTry() == null ? null : st.nextTry().toString());
                dm.put("last_error", st == null ? null : st.lastError());
                domains.add(dm);
            }
            lm.put("domains", domains);
            listeners.add(lm);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("listeners", listeners);
        m.put("acme_directory", acme == null ? null : acme.settings().directory().toString());
        return m;
    }
}
