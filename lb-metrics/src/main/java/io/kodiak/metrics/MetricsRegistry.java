package io.kodiak.metrics;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

import javax.management.InstanceAlreadyExistsException;
import javax.management.InstanceNotFoundException;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;

/**
 * Publishes {@link MetricSet}s as MBeans in one domain and closes the latency intervals of the
 * recorders they read, on one background thread.
 *
 * <p><b>Object names.</b> {@link #name} builds {@code DOMAIN:type=T,k1="v1",k2="v2"} with the keys in
 * the order given (the exporter's rules see them in that order) and every value quoted, so that a
 * {@code host:port} needs no special case.
 *
 * <p><b>Snapshots.</b> Every {@code interval} the publisher thread calls {@link LatencyRecorder#snapshot()}
 * on each tracked recorder: that closes an interval of the rolling window (so quantiles cover the
 * last {@code interval x windowIntervals}). Between two, a scrape's {@link LatencyRecorder#current()}
 * brings the bucket counts up to date without closing the interval.
 */
public final class MetricsRegistry implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(MetricsRegistry.class.getName());

    private final MBeanServer server;
    private final String domain;
    private final Set<ObjectName> registered = ConcurrentHashMap.newKeySet();
    private final Map<LatencyRecorder, Boolean> recorders = new ConcurrentHashMap<>();
    private final ScheduledExecutorService publisher;

    /**
     * @param server   where the MBeans go: the platform server, for the exporter to find them
     * @param domain   e.g. {@code io.kodiak}
     * @param interval how often latency intervals close
     */
    public MetricsRegistry(MBeanServer server, String domain, Duration interval) {
        this.server = server;
        this.domain = domain;
        this.publisher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "kodiak-metrics");
            t.setDaemon(true);
            return t;
        });
        long period = interval.toNanos();
        publisher.scheduleAtFixedRate(this::snapshotAll, period, period, TimeUnit.NANOSECONDS);
    }

    /** In the platform MBean server. */
    public MetricsRegistry(String domain, Duration interval) {
        this(ManagementFactory.getPlatformMBeanServer(), domain, interval);
    }

    /**
     * @param type      the {@code type} key, e.g. {@code Upstream}
     * @param keyValues further keys and values, alternating, in their fixed order
     */
    public ObjectName name(String type, String... keyValues) {
        if (keyValues.length % 2 != 0) {
            throw new IllegalArgumentException("keys and values must alternate");
        }
        StringBuilder sb = new StringBuilder(domain).append(":type=").append(type);
        for (int i = 0; i < keyValues.length; i += 2) {
            sb.append(',').append(keyValues[i]).append('=').append(ObjectName.quote(keyValues[i + 1]));
        }
        try {
            return new ObjectName(sb.toString());
        } catch (MalformedObjectNameException e) {
            throw new IllegalArgumentException("not an object name: " + sb, e);
        }
    }

    /**
     * Registers {@code set} under {@code name}.
     *
     * @throws IllegalStateException if the name is taken (another Kodiak in this JVM with metrics on)
     */
    public void register(ObjectName name, MetricSet set) {
        try {
            server.registerMBean(set, name);
            registered.add(name);
        } catch (InstanceAlreadyExistsException e) {
            throw new IllegalStateException("MBean " + name + " is already registered: is another Kodiak with metrics running "
                    + "in this JVM?", e);
        } catch (JMException e) {
            throw new IllegalStateException("cannot register MBean " + name + ": " + e, e);
        }
    }

    /** Unregisters {@code name} if this registry registered it. */
    public void unregister(ObjectName name) {
        if (!registered.remove(name)) {
            return;
        }
        try {
            server.unregisterMBean(name);
        } catch (InstanceNotFoundException e) {
            // already gone
        } catch (JMException e) {
            LOG.log(Level.WARNING, "cannot unregister MBean " + name, e);
        }
    }

    /** @return whether this registry has {@code name} registered */
    public boolean isRegistered(ObjectName name) {
        return registered.contains(name);
    }

    /** Has the publisher close {@code recorder}'s intervals from now on. */
    public void track(LatencyRecorder recorder) {
        recorders.put(recorder, Boolean.TRUE);
    }

    /** Stops closing {@code recorder}'s intervals. */
    public void untrack(LatencyRecorder recorder) {
        recorders.remove(recorder);
    }

    /** Tracks the three recorders of {@code stats}. */
    public void track(RequestStats stats) {
        track(stats.latency());
        track(stats.timeToFirstByte());
        track(stats.connectTime());
    }

    public void untrack(RequestStats stats) {
        untrack(stats.latency());
        untrack(stats.timeToFirstByte());
        untrack(stats.connectTime());
    }

    /** Closes an interval on every tracked recorder now; the publisher calls it every interval. */
    public void snapshotAll() {
        for (LatencyRecorder r : recorders.keySet()) {
            try {
                r.snapshot();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "snapshot of " + r.name() + " failed", e);
            }
        }
    }

    /** Stops the publisher and unregisters every MBean this registry registered. */
    @Override
    public void close() {
        publisher.shutdownNow();
        for (ObjectName name : Set.copyOf(registered)) {
            unregister(name);
        }
        recorders.clear();
    }
}
