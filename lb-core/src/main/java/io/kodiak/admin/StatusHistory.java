package io.kodiak.admin;

import io.kodiak.metrics.ErrorCause;
import io.kodiak.metrics.LatencySnapshot;
import io.kodiak.metrics.RequestStats;
import io.kodiak.metrics.StatusClass;
import io.kodiak.upstream.PoolRuntime;
import io.kodiak.upstream.Upstream;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * What the status page's rates and sparklines are made of: every second ({@link #sample()}, on the
 * admin timer) the cumulative counters of each upstream and listener. The last {@value #RING}
 * samples give the rates over 10 s in {@code /v1/status}; every {@value #SAMPLES_PER_POINT}th
 * sample adds a point to the {@value #POINTS}-point series of {@code /v1/history} (5 minutes).
 *
 * <p>An upstream is tracked by its object, not its name: one a reload or a source removes and
 * adds again is a new upstream whose counters start at 0. Whatever left is forgotten at the next
 * sample. At most {@value #MAX_UPSTREAMS} upstreams and {@value #MAX_LISTENERS} listeners are
 * tracked (about 2 KB each), the first ones in configuration order; the rest have no rates
 * ({@link #rates} says {@code null}, the status shows null rather than a made-up 0) and the
 * history says {@code truncated}.
 *
 * <p>A listener is tracked by its identity too ({@link Control.ListenerStatus#identity()}): a
 * listener a reload binds again is a new one, and the old one's series ends. One missing from a
 * sample (with no other of its name there) is kept for {@value #LISTENER_MISSES_KEPT} samples
 * before it is forgotten, since a reload swaps the bound listeners by clearing the table and
 * filling it again, and a sample in between must not cost the page the listener's series.
 *
 * <p>Threads: one sampler writes, admin workers read; both under this object's lock, held for a
 * pass over the counters (no I/O, no harvest of a latency histogram: the p99 points read
 * {@link io.kodiak.metrics.LatencyRecorder#lastSnapshot()}, which the metrics publisher renews
 * every 5 s, so the sampler never closes or harvests an interval the metrics own).
 */
final class StatusHistory {
    private static final Logger LOG = Logger.getLogger(StatusHistory.class.getName());
    /** Samples 1 s apart for the rates in the status: 11 span 10 s. */
    static final int RING = 11;
    static final int SAMPLES_PER_POINT = 5;
    static final int POINTS = 60;
    static final int MAX_UPSTREAMS = 2048;
    static final int MAX_LISTENERS = 256;
    /** Samples in a row a listener may be missing from before its track is dropped. */
    static final int LISTENER_MISSES_KEPT = 3;

    private static final ErrorCause[] CAUSES = ErrorCause.values();
    /** The counters of one upstream sample, by index: attempts, failures, each cause, 5xx responses. */
    private static final int REQUESTS = 0;
    private static final int FAILURES = 1;
    private static final int FIRST_CAUSE = 2;
    private static final int STATUS_5XX = FIRST_CAUSE + CAUSES.length;
    private static final int WIDTH = STATUS_5XX + 1;

    private final Supplier<? extends Iterable<Upstream>> upstreams;
    private final Supplier<? extends Iterable<Control.ListenerStatus>> listeners;
    private final BooleanSupplier metrics;
    private final LongSupplier nanos;

    // Guarded by this.
    private Map<Upstream, Track> byUpstream = new IdentityHashMap<>();
    private List<Track> upstreamOrder = List.of();
    private Map<Object, Track> byListener = new IdentityHashMap<>();
    private List<Track> listenerOrder = List.of();
    private long samples;
    private boolean truncated;

    /**
     * @param upstreams every upstream now, in pool and configuration order
     * @param listeners every listener now
     * @param metrics   whether the request stats count (causes, 5xx, latencies)
     * @param nanos     the clock samples are timed by (tests drive one)
     */
    StatusHistory(Supplier<? extends Iterable<Upstream>> upstreams, Supplier<? extends Iterable<Control.ListenerStatus>> listeners,
                  BooleanSupplier metrics, LongSupplier nanos) {
        this.upstreams = upstreams;
        this.listeners = listeners;
        this.metrics = metrics;
        this.nanos = nanos;
    }

    /** Samples {@code control}'s pools and listeners by the system's nano clock. */
    static StatusHistory of(Control control) {
        return new StatusHistory(() -> {
            List<Upstream> all = new ArrayList<>();
            for (PoolRuntime p : control.pools()) {
                all.addAll(p.upstreams());
            }
            return all;
        }, control::listeners, control::metricsEnabled, System::nanoTime);
    }

    /** {@link #sample()} for the timer: a failure is logged, and the next second samples again. */
    void sampleLogged() {
        try {
            sample();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "status history: a sample failed", e);
        }
    }

    /** Reads every counter once; every {@value #SAMPLES_PER_POINT}th call also adds a history point. */
    synchronized void sample() {
        long now = nanos.getAsLong();
        boolean withMetrics = metrics.getAsBoolean();
        boolean point = ++samples % SAMPLES_PER_POINT == 0;
        Map<Upstream, Track> seen = new IdentityHashMap<>();
        List<Track> order = new ArrayList<>();
        boolean cut = false;
        long[] values = new long[WIDTH];
        for (Upstream u : upstreams.get()) {
            if (seen.containsKey(u)) {
                continue;
            }
            if (seen.size() >= MAX_UPSTREAMS) {
                cut = true;
                break;
            }
            Track t = byUpstream.get(u);
            if (t == null) {
                t = new Track(u.pool(), u.name(), WIDTH, u);
            }
            seen.put(u, t);
            order.add(t);
            read(u, withMetrics, values);
            t.record(now, values);
            if (point) {
                t.point(now, p99(u, withMetrics));
            }
        }
        Map<Object, Track> seenListeners = new IdentityHashMap<>();
        List<Track> listenersNow = new ArrayList<>();
        long[] one = new long[1];
        for (Control.ListenerStatus l : listeners.get()) {
            if (seenListeners.containsKey(l.identity())) {
                continue;
            }
            if (seenListeners.size() >= MAX_LISTENERS) {
                cut = true;
                break;
            }
            Track t = byListener.get(l.identity());
            if (t == null) {
                t = new Track(null, l.name(), 1, l.identity()); // new, or bound again by a reload: its counters start at 0
            }
            t.name = l.name(); // a reload may rename a listener it keeps bound
            t.missed = 0;
            seenListeners.put(l.identity(), t);
            listenersNow.add(t);
            one[0] = l.requests();
            t.record(now, one);
            if (point) {
                t.point(now, Double.NaN);
            }
        }
        // Those missing from this sample only (a reload swapping the table): kept a little, with a
        // gap, unless another listener of its name is here (it was bound again: one series a name).
        java.util.Set<String> names = new java.util.HashSet<>();
        listenersNow.forEach(t -> names.add(t.name));
        for (Track t : listenerOrder) {
            if (seenListeners.containsKey(t.identity) || names.contains(t.name) || ++t.missed > LISTENER_MISSES_KEPT
                    || seenListeners.size() >= MAX_LISTENERS) {
                continue;
            }
            seenListeners.put(t.identity, t);
            listenersNow.add(t);
            if (point) {
                t.gap();
            }
        }
        byUpstream = seen;
        upstreamOrder = order;
        byListener = seenListeners;
        listenerOrder = listenersNow;
        truncated = cut;
    }

    private static void read(Upstream u, boolean withMetrics, long[] into) {
        into[REQUESTS] = u.requests();
        into[FAILURES] = u.failures();
        if (withMetrics) {
            RequestStats st = u.stats();
            for (int i = 0; i < CAUSES.length; i++) {
                into[FIRST_CAUSE + i] = st.errorCount(CAUSES[i]);
            }
            into[STATUS_5XX] = st.responseCount(StatusClass.SERVER_ERROR);
        } else {
            Arrays.fill(into, FIRST_CAUSE, WIDTH, 0);
        }
    }

    /** The p99 of the upstream's latency window in ms as the metrics last published it; NaN if none. */
    private static double p99(Upstream u, boolean withMetrics) {
        if (!withMetrics) {
            return Double.NaN;
        }
        LatencySnapshot s = u.stats().latency().lastSnapshot();
        return s.count() == 0 ? Double.NaN : s.valueAtPercentile(99) / 1e6;
    }

    /**
     * An upstream's rates over the last 10 s (less right after it was first sampled; all 0 before
     * its second sample).
     *
     * <p>{@code errors} is one thing or the other, never a mix: with metrics it is the sum of
     * {@code byCause} (every failed attempt by its cause, and the 5xx responses), so it always
     * agrees with the causes shown beside it; a connect that timed out on a full backlog is among
     * them although it does not count against passive health. Without metrics there are no causes,
     * and it is the failed attempts that count against passive health ({@link Upstream#failures()}),
     * 5xx responses not included.
     *
     * @param requests attempts per second
     * @param errors   with metrics the sum of {@code byCause}, without them failed attempts per second
     * @param byCause  per second, by {@link ErrorCause#label()} and {@code status_5xx}; {@code null} without metrics
     */
    record Rates(double requests, double errors, Map<String, Double> byCause) {
    }

    /**
     * The upstream's rates, or {@code null} for one left out by the bound: while the history is
     * truncated, an upstream it does not track has no rates to show (0 would claim it is idle).
     * One not sampled yet while nothing is cut off shows 0s until its second sample.
     */
    synchronized Rates rates(Upstream u) {
        Track t = byUpstream.get(u);
        if (t == null && truncated) {
            return null;
        }
        boolean withMetrics = metrics.getAsBoolean();
        if (!withMetrics) {
            return t == null ? new Rates(0, 0, null) : new Rates(t.rate(REQUESTS), t.rate(FAILURES), null);
        }
        Map<String, Double> byCause = new LinkedHashMap<>();
        double sum = 0;
        for (int i = 0; i < CAUSES.length; i++) {
            double r = t == null ? 0.0 : t.rate(FIRST_CAUSE + i);
            byCause.put(CAUSES[i].label(), r);
            sum += r;
        }
        double fivexx = t == null ? 0.0 : t.rate(STATUS_5XX);
        byCause.put("status_5xx", fivexx);
        return new Rates(t == null ? 0 : t.rate(REQUESTS), sum + fivexx, byCause);
    }

    /** A listener's requests per second over the last 10 s; 0 if it is not tracked (yet). */
    synchronized double listenerRate(Object identity) {
        Track t = byListener.get(identity);
        return t == null ? 0 : t.rate(0);
    }

    /**
     * One series of the history: {@value #POINTS} values, oldest first, {@code null} where there
     * is none (before it was tracked, no latency recorded).
     *
     * @param pool {@code null} for a listener
     * @param p99  {@code null} for a listener
     */
    record Series(String pool, String name, List<Double> requestRate, List<Double> p99) {
    }

    /** The series as of the last sample, and whether some upstreams or listeners were left out. */
    record History(List<Series> upstreams, List<Series> listeners, boolean truncated) {
    }

    synchronized History history() {
        List<Series> ups = new ArrayList<>(upstreamOrder.size());
        for (Track t : upstreamOrder) {
            ups.add(new Series(t.pool, t.name, t.series(t.ratePoints), t.series(t.p99Points)));
        }
        List<Series> ls = new ArrayList<>(listenerOrder.size());
        for (Track t : listenerOrder) {
            ls.add(new Series(null, t.name, t.series(t.ratePoints), null));
        }
        return new History(ups, ls, truncated);
    }

    /** One upstream's or listener's samples and points; guarded by the history's lock. */
    private static final class Track {
        final String pool;
        String name;
        /** What it is tracked by: the upstream object, or the listener's identity. */
        final Object identity;
        /** Samples in a row it was missing from (listeners only). */
        int missed;
        final long[] times = new long[RING];
        final long[][] counters;
        /** Samples taken since it was first seen. */
        int taken;
        /** The time and attempts of the last point (or the first sample): the next point's rate is from there. */
        long baseTime;
        long baseRequests;
        final double[] ratePoints = new double[POINTS];
        final double[] p99Points = new double[POINTS];
        /** Points added since it was first seen; the newest is at {@code (points - 1) % POINTS}. */
        int points;

        Track(String pool, String name, int width, Object identity) {
            this.pool = pool;
            this.name = name;
            this.identity = identity;
            this.counters = new long[RING][width];
        }

        void record(long now, long[] values) {
            int i = taken % RING;
            times[i] = now;
            System.arraycopy(values, 0, counters[i], 0, counters[i].length);
            if (taken == 0) {
                baseTime = now;
                baseRequests = values[0];
            }
            taken++;
        }

        long newest(int k) {
            return counters[(taken - 1) % RING][k];
        }

        /** Counter {@code k}'s increase per second from the oldest sample kept to the newest. */
        double rate(int k) {
            if (taken < 2) {
                return 0;
            }
            int newest = (taken - 1) % RING;
            int oldest = taken >= RING ? taken % RING : 0;
            long dt = times[newest] - times[oldest];
            return dt <= 0 ? 0 : (counters[newest][k] - counters[oldest][k]) * 1e9 / dt;
        }

        /** A point at {@code now}: attempts per second since the last point; none (NaN) for one first seen now. */
        void point(long now, double p99) {
            int i = points % POINTS;
            long dt = now - baseTime;
            long requests = newest(0);
            ratePoints[i] = dt <= 0 ? Double.NaN : (requests - baseRequests) * 1e9 / dt;
            p99Points[i] = p99;
            points++;
            baseTime = now;
            baseRequests = requests;
        }

        /**
         * A point with no value, for a sample it was missing from; the next point's rate then
         * covers both intervals (its base stays).
         */
        void gap() {
            int i = points % POINTS;
            ratePoints[i] = Double.NaN;
            p99Points[i] = Double.NaN;
            points++;
        }

        /** The last {@value #POINTS} points oldest first, null-padded at the front. */
        List<Double> series(double[] ring) {
            Double[] out = new Double[POINTS];
            int have = Math.min(points, POINTS);
            for (int j = 0; j < have; j++) {
                double v = ring[(points - have + j) % POINTS];
                out[POINTS - have + j] = Double.isNaN(v) ? null : v;
            }
            return Arrays.asList(out);
        }
    }
}
