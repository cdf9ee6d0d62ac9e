package io.kodiak.admin;

import io.kodiak.metrics.LatencySnapshot;
import io.kodiak.upstream.PoolRuntime;
import io.kodiak.upstream.Upstream;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The live parts of the admin API's answers, for the status page: rates, latencies and drain
 * progress of an upstream, the listeners, the instance's version, uptime and last reload, and
 * {@code /v1/history}. {@link AdminViews} puts them into its objects; {@code docs/admin-api.md}
 * ("Live status") describes them.
 */
final class LiveViews {
    /** The metrics' latency interval, and how far the quantiles look back once the window is full (12 intervals). */
    static final long INTERVAL_S = PoolRuntime.METRICS_INTERVAL.toSeconds();
    static final long LATENCY_WINDOW_S = PoolRuntime.LATENCY_SETTINGS.windowIntervals() * INTERVAL_S;

    private final Control control;
    private final StatusHistory history;

    LiveViews(Control control, StatusHistory history) {
        this.control = control;
        this.history = history;
    }

    /** The instance's keys of {@code kodiak} in the status. */
    void instance(Map<String, Object> m) {
        Instant now = Instant.now();
        m.put("version", control.version());
        m.put("uptime_s", Math.max(0, Duration.between(control.startedAt(), now).toSeconds()));
        m.put("now", now.toString());
        m.put("metrics", control.metricsEnabled());
        Control.LastReload r = control.lastReload();
        if (r == null) {
            m.put("last_reload", null);
        } else {
            Map<String, Object> rm = new LinkedHashMap<>();
            rm.put("at", r.at().toString());
            rm.put("ok", r.ok());
            rm.put("config_version", r.configVersion());
            rm.put("error", r.error());
            rm.put("note", r.note());
            m.put("last_reload", rm);
        }
    }

    List<Object> listeners() {
        List<Object> out = new ArrayList<>();
        for (Control.ListenerStatus l : control.listeners()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", l.name());
            m.put("address", l.address());
            m.put("tls", l.tls());
            m.put("connections", l.connections());
            m.put("accepted", l.accepted());
            m.put("requests", l.requests());
            m.put("request_rate", round1(history.listenerRate(l.identity())));
            m.put("refused", l.refused());
            m.put("rejected", l.rejected());
            out.add(m);
        }
        return out;
    }

    /**
     * A pool's keys: {@code request_rate}, the sum of the rates in its upstreams' views as they
     * are shown (read once, rounded, so the numbers on the page add up even while the sampler
     * moves on), and {@code rates_partial}, whether some upstream had none (beyond the bound) and
     * is left out of the sum.
     */
    static void pool(List<Object> upstreamViews, Map<String, Object> m) {
        double sum = 0;
        boolean partial = false;
        for (Object o : upstreamViews) {
            if (o instanceof Map<?, ?> u && u.get("request_rate") instanceof Double rate) {
                sum += rate;
            } else {
                partial = true;
            }
        }
        m.put("request_rate", round1(sum));
        m.put("rates_partial", partial);
    }

    /**
     * An upstream's keys for the page: rates, errors by cause, latency quantiles, drain progress.
     * The rates are null for one beyond the history's bound. {@code error_rate} with metrics is
     * the sum of {@code errors} as shown; without them, failed attempts ({@link StatusHistory.Rates}).
     */
    void upstream(Upstream u, Map<String, Object> m) {
        StatusHistory.Rates r = history.rates(u);
        if (r == null) {
            m.put("request_rate", null);
            m.put("error_rate", null);
            m.put("errors", null);
        } else if (r.byCause() == null) {
            m.put("request_rate", round1(r.requests()));
            m.put("error_rate", round1(r.errors()));
            m.put("errors", null);
        } else {
            m.put("request_rate", round1(r.requests()));
            Map<String, Object> e = new LinkedHashMap<>();
            double sum = 0;
            for (Map.Entry<String, Double> c : r.byCause().entrySet()) {
                double shown = round1(c.getValue());
                e.put(c.getKey(), shown);
                sum += shown;
            }
            m.put("error_rate", round1(sum));
            m.put("errors", e);
        }
        m.put("latency_ms", latency(u));
        m.put("drain", drain(u));
    }

    /**
     * The quantiles of the upstream's latency window as the metrics last published it (every 5 s,
     * or at a scrape). Not {@code current()}: that harvests every recording thread's histogram,
     * and a page polling once a second over a few thousand upstreams would do so for each of them
     * every second; a minute's quantiles are no worse for being 5 s old.
     */
    private Map<String, Object> latency(Upstream u) {
        if (!control.metricsEnabled()) {
            return null;
        }
        LatencySnapshot s = u.stats().latency().lastSnapshot();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("p50", s.count() == 0 ? null : ms(s.valueAtPercentile(50)));
        m.put("p99", s.count() == 0 ? null : ms(s.valueAtPercentile(99)));
        // The closed intervals it spans (the one still open when a scrape published it is on top).
        m.put("window_s", Math.min(LATENCY_WINDOW_S, Math.max(1, s.intervals()) * INTERVAL_S));
        return m;
    }

    /** While the upstream shows DRAIN or MAINT: since when, for how long, and what is still in flight. */
    private static Map<String, Object> drain(Upstream u) {
        long nanos = u.drainingForNanos();
        Instant since = u.drainingSince();
        if (nanos < 0 || since == null) {
            return null;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("since", since.toString());
        m.put("elapsed_ms", nanos / 1_000_000);
        m.put("in_flight", u.inFlight());
        return m;
    }

    /** {@code GET /v1/history}. */
    Map<String, Object> history() {
        StatusHistory.History h = history.history();
        List<Object> ups = new ArrayList<>();
        for (StatusHistory.Series s : h.upstreams()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("pool", s.pool());
            m.put("name", s.name());
            m.put("request_rate", rounded(s.requestRate(), false));
            m.put("p99_ms", rounded(s.p99(), true));
            ups.add(m);
        }
        List<Object> ls = new ArrayList<>();
        for (StatusHistory.Series s : h.listeners()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", s.name());
            m.put("request_rate", rounded(s.requestRate(), false));
            ls.add(m);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("interval_s", StatusHistory.SAMPLES_PER_POINT); // samples are 1 s apart
        m.put("points", StatusHistory.POINTS);
        m.put("upstreams", ups);
        m.put("listeners", ls);
        m.put("truncated", h.truncated());
        return m;
    }

    private static List<Double> rounded(List<Double> series, boolean millis) {
        List<Double> out = new ArrayList<>(series.size());
        for (Double v : series) {
            out.add(v == null ? null : millis ? round2(v) : round1(v));
        }
        return out;
    }

    /** Milliseconds with two decimals: on a LAN a p50 is well under 1 ms. */
    private static double ms(long nanos) {
        return round2(nanos / 1e6);
    }

    static double round1(double v) {
        return Math.round(v * 10) / 10.0;
    }

    static double round2(double v) {
        return Math.round(v * 100) / 100.0;
    }
}
