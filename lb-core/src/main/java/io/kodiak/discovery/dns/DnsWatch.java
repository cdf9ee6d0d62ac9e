package io.kodiak.discovery.dns;

import io.kodiak.discovery.DiscoveryListener;
import io.kodiak.discovery.DnsSettings;
import io.kodiak.discovery.EndpointSet;
import io.kodiak.discovery.SourceStatus;
import io.kodiak.discovery.Watch;

import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Follows one DNS name (A/AAAA at a port, or an SRV record's targets) and tells its listener the
 * whole set each time it changes: nginx's {@code server ... resolve} / {@code service=}, HAProxy's
 * {@code server-template} with {@code resolvers}, Envoy's {@code STRICT_DNS} with
 * {@code respect_dns_ttl}. What to show and when to ask again is {@link HoldPolicy}'s; what to ask
 * and how answers become endpoints is {@link DnsLookup}'s; this class runs them on a schedule.
 *
 * <p><b>Threading.</b> Everything but {@link #status()} and {@link #close()} happens on the
 * {@code scheduler} (one thread, {@code kodiak-discovery}): resolutions start there, dnsjava's
 * answers (arriving on its NIO thread) hop back onto it, and the listener is called from it, one
 * call at a time and only when the set or its staleness changed. The listener may block (lb-core
 * waits for its control loop); the next resolution is scheduled after it returns. Only one
 * resolution of a watch is under way at a time, so a slow nameserver cannot pile queries up.
 * {@link #status()} is a snapshot any thread may read. {@link #close()} (any thread) cancels the
 * schedule; an answer arriving later is dropped. A listener call already under way when
 * {@code close()} is called still finishes (close does not wait for it: the caller may be the
 * very thread the listener waits for).
 *
 * <p>Before the first successful answer nothing is emitted; {@link #status()} says why.
 */
public final class DnsWatch implements Watch {
    private static final Logger LOG = Logger.getLogger(DnsWatch.class.getName());
    /** RFC 1035: 255 octets on the wire, 253 characters as text. */
    static final int MAX_NAME = 253;

    private final String id;
    private final DnsLookup lookup;
    private final HoldPolicy policy;
    private final DiscoveryListener listener;
    private final ScheduledExecutorService scheduler;
    private final LongSupplier wallClock;
    private final Random random;
    private final DnsSettings settings;
    private volatile boolean closed;
    private volatile ScheduledFuture<?> next;
    private volatile SourceStatus status;
    // Below: the scheduler thread only.
    private final Map<DnsResult, Long> results = new EnumMap<>(DnsResult.class);
    private EndpointSet emitted;
    private long lastSuccess;
    private String lastError;
    private boolean droppedLogged;
    private DnsResult lastResult;
    /** Counts resolutions started and ended (see {@link #refresh()}). */
    private long generation;
    private volatile ScheduledFuture<?> deadline;

    private DnsWatch(DnsSettings settings, String host, int port, boolean srv, DiscoveryListener listener,
                     ScheduledExecutorService scheduler, LongSupplier wallClock, DnsResolver resolver, Random random) {
        this.id = srv ? "dns srv " + host : "dns " + host + ":" + port;
        this.settings = settings;
        this.lookup = new DnsLookup(resolver, host, port, srv, settings.ipv4(), settings.ipv6(), hop(scheduler));
        this.policy = new HoldPolicy(settings);
        this.listener = listener;
        this.scheduler = scheduler;
        this.wallClock = wallClock;
        this.random = random;
        for (DnsResult r : DnsResult.values()) {
            results.put(r, 0L);
        }
        publishStatus(wallClock.getAsLong());
    }

    /**
     * Starts following {@code host} on {@code scheduler} with dnsjava; listener calls come from it.
     *
     * @param wallClock milliseconds (tests inject one)
     * @throws IllegalArgumentException for a name longer than 253 characters, a port out of range
     *                                  (A/AAAA), or {@code ipv4} and {@code ipv6} both off
     */
    public static Watch start(DnsSettings resolver, String host, int port, boolean srv, DiscoveryListener listener,
                              ScheduledExecutorService scheduler, LongSupplier wallClock) {
        Executor onScheduler = hop(scheduler);
        // Made at the first query, on the discovery thread: the system's resolver reads /etc/resolv.conf.
        DnsResolver dnsjava = new DnsResolver() {
            private DnsResolver made; // the scheduler thread only: every query starts there

            @Override
            public CompletionStage<DnsAnswer> query(String name, int type) {
                if (made == null) {
                    made = DnsjavaResolver.of(resolver, onScheduler);
                }
                return made.query(name, type);
            }
        };
        return start(resolver, host, port, srv, listener, scheduler, wallClock, dnsjava, new Random());
    }

    /** As {@link #start(DnsSettings, String, int, boolean, DiscoveryListener, ScheduledExecutorService, LongSupplier)}, with the resolver and the jitter's randomness given. */
    public static DnsWatch start(DnsSettings settings, String host, int port, boolean srv, DiscoveryListener listener,
                                 ScheduledExecutorService scheduler, LongSupplier wallClock, DnsResolver resolver, Random random) {
        Objects.requireNonNull(host, "host");
        String bare = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
        if (bare.isEmpty() || bare.length() > MAX_NAME) {
            throw new IllegalArgumentException("a DNS name has 1 to " + MAX_NAME + " characters: " + host.length() + " given");
        }
        if (!srv && (port < 1 || port > 65535)) {
            throw new IllegalArgumentException("port " + port + " is not 1..65535");
        }
        DnsWatch w = new DnsWatch(settings, host, port, srv, listener, scheduler, wallClock, resolver, random);
        w.next = scheduler.schedule(w::refresh, 0, TimeUnit.MILLISECONDS);
        return w;
    }

    /** An executor that runs on {@code scheduler}, dropping work once it is shut down (the watch is closed then). */
    private static Executor hop(ScheduledExecutorService scheduler) {
        return command -> {
            try {
                scheduler.execute(command);
            } catch (RejectedExecutionException e) {
                // shut down: the answer is for a watch that is gone
            }
        };
    }

    /**
     * Starts one resolution. Whatever happens to it, the watch goes on: an exception while
     * starting it, or a stage failed by a bug, counts as an {@link DnsResult#ERROR} (retried with
     * backoff), and a stage that never completes (dnsjava's I/O thread gone, a bug) ends at a
     * deadline. The generation tells a resolution still awaited from one the deadline gave up on.
     */
    private void refresh() {
        if (closed) {
            return;
        }
        long gen = ++generation;
        long limit = deadlineMillis(settings);
        try {
            deadline = scheduler.schedule(() -> expire(gen, limit), limit, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            closed = true; // the discovery thread is gone
            return;
        }
        CompletionStage<DnsLookup.Resolution> stage;
        try {
            stage = lookup.resolve();
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, id + ": a resolution failed to start; retrying with backoff", e);
            stage = CompletableFuture.completedFuture(new DnsLookup.Resolution(DnsResult.ERROR, List.of(), -1, String.valueOf(e), 0));
        }
        stage.whenComplete((resolution, error) -> {
            if (gen != generation) {
                return; // the deadline gave up on it: a resolution since is the one that counts
            }
            generation++;
            deadline.cancel(false);
            if (error != null) { // a bug, not DNS: DnsResolver never fails its stage
                LOG.log(Level.SEVERE, id + ": resolution failed unexpectedly; retrying", error);
                resolution = new DnsLookup.Resolution(DnsResult.ERROR, List.of(), -1, String.valueOf(error), 0);
            }
            onResolution(resolution);
        });
    }

    /** The resolution {@code gen} has not ended within {@code limit} ms: a failure, so that the watch asks again. */
    private void expire(long gen, long limit) {
        if (closed || gen != generation) {
            return;
        }
        generation++; // its answer, if it ever comes, is dropped
        LOG.severe(id + ": no outcome of a resolution within " + limit + " ms (every query should have timed out by then); retrying");
        onResolution(new DnsLookup.Resolution(DnsResult.ERROR, List.of(), -1, "no outcome within " + limit + " ms", 0));
    }

    /**
     * Longer than the longest a resolution can take when all goes to plan: an SRV query, then its
     * targets' (at once), each trying up to 7 names (the search list) {@code attempts} times at
     * each nameserver (3 when the system's: glibc's MAXNS) for {@code timeout}; plus 5 s.
     */
    static long deadlineMillis(DnsSettings settings) {
        long servers = settings.nameservers().isEmpty() ? 3 : settings.nameservers().size();
        long one = settings.timeout().toMillis() * Math.max(1, settings.attempts()) * servers * 7;
        return 2 * one + 5_000;
    }

    private void onResolution(DnsLookup.Resolution r) {
        if (closed) {
            return;
        }
        long now = wallClock.getAsLong();
        results.merge(r.result(), 1L, Long::sum);
        int failuresBefore = policy.failures();
        EndpointSet before = policy.set();
        long delay = policy.apply(r, now, random.nextDouble());
        EndpointSet after = policy.set();
        if (r.result() == DnsResult.OK) {
            lastSuccess = now;
            if (failuresBefore > 0) {
                LOG.info(id + ": answers again after " + failuresBefore + " failure(s): " + after.endpoints().size() + " address(es)");
            }
        }
        if (r.detail() != null) {
            lastError = r.detail();
        }
        log(r, failuresBefore, before, after, delay);
        lastResult = r.result();
        publishStatus(now + delay);
        if (after != null && (emitted == null || !emitted.endpoints().equals(after.endpoints()) || emitted.stale() != after.stale())) {
            emitted = after;
            publishStatus(now + delay);
            LOG.fine(() -> id + ": " + after);
            try {
                listener.onChange(after);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, id + ": the listener failed on " + after.endpoints().size() + " address(es)", e);
            }
        }
        schedule(delay);
    }

    private void log(DnsLookup.Resolution r, int failuresBefore, EndpointSet before, EndpointSet after, long delay) {
        if (r.dropped() > 0 && !droppedLogged) {
            droppedLogged = true;
            LOG.warning(id + ": the answer has more than " + DnsLookup.MAX_ADDRESSES + " addresses or " + DnsLookup.MAX_TARGETS
                    + " SRV targets; " + r.dropped() + " left out (logged once)");
        }
        if (r.result().failure() && failuresBefore == 0) {
            LOG.warning(id + ": " + r.detail() + "; " + (after == null ? "no address yet" : "keeping the last " + after.endpoints().size()
                    + " address(es)") + ", asking again in " + delay + " ms with backoff");
        } else if (r.result().negative() && before == null && lastResult != r.result()) {
            LOG.warning(id + ": " + r.detail() + "; no address yet, asking again in " + delay + " ms");
        } else if (r.result().negative() && before != null) {
            if (!before.stale() && after.stale()) {
                LOG.warning(id + ": " + r.detail() + "; keeping " + after.endpoints().size() + " address(es) for "
                        + (settings.holdNx() == null ? "ever (hold-nx: forever)" : settings.holdNx().toMillis() + " ms (hold-nx)"));
            } else if (!before.endpoints().isEmpty() && after.endpoints().isEmpty()) {
                LOG.warning(id + ": " + r.detail() + " for longer than hold-nx: no address now");
            }
        }
    }

    private void schedule(long delayMillis) {
        if (closed) {
            return;
        }
        try {
            next = scheduler.schedule(this::refresh, delayMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            closed = true; // the discovery thread is gone: nothing can run any more
        }
        if (closed) { // close() may have run between the check and the assignment
            next.cancel(false);
        }
    }

    private void publishStatus(long nextRefresh) {
        Map<String, Long> counters = new LinkedHashMap<>();
        results.forEach((k, v) -> counters.put(k.counter(), v));
        EndpointSet shown = emitted;
        status = new SourceStatus(shown == null ? 0 : shown.endpoints().size(), shown != null && shown.stale(), lastSuccess,
                lastError, closed ? 0 : nextRefresh, counters);
    }

    @Override
    public SourceStatus status() {
        return status;
    }

    @Override
    public void close() {
        closed = true;
        ScheduledFuture<?> f = next;
        if (f != null) {
            f.cancel(false);
        }
        ScheduledFuture<?> d = deadline;
        if (d != null) {
            d.cancel(false);
        }
        SourceStatus s = status; // no next refresh any more (a later publish on the scheduler says 0 too)
        status = new SourceStatus(s.addresses(), s.stale(), s.lastSuccessMillis(), s.lastError(), 0, s.results());
    }

    @Override
    public String toString() {
        return id + (closed ? " (closed)" : "");
    }
}
