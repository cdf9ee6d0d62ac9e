package io.kodiak.limit;

import io.kodiak.config.LimitZoneConfig;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The zones of the running configuration, kept across reloads (the process's
 * {@code FeatureRuntime} holds one): a listener or route built for a new configuration gets the
 * zone state of the same name if its definition is unchanged, so a reload neither resets the
 * clients' buckets nor drops their in-progress counts (nginx keeps a shared memory zone whose key
 * and size are unchanged). A changed definition starts a new zone; the old one lives on only in
 * the old routes until their last request ends.
 *
 * <p>A reload {@linkplain #stage stages} the zones of the new configuration and commits them only
 * once it has applied (or discards them when it fails), so a failed reload changes no zone.
 *
 * <p>Threading: any thread; routers are built under this object's lock (at start and reload),
 * never on the data path. One reload at a time (the server's lock) stages.
 */
public final class LimitZones {
    private final LongSupplier nanoClock;
    private final Map<String, RateZone> rate = new HashMap<>();
    private final Map<String, ConcurrencyZone> concurrency = new HashMap<>();
    /** The zones of a reload in progress ({@link #stage}), or null. */
    private Map<String, RateZone> stagedRate;
    private Map<String, ConcurrencyZone> stagedConcurrency;

    public LimitZones() {
        this(System::nanoTime);
    }

    /** @param nanoClock the rate zones' clock (a fake one in tests) */
    public LimitZones(LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
    }

    /** The state of rate zone {@code z}: the one running (or staged) if its definition is {@code z}, else a new one. */
    public synchronized RateZone rate(LimitZoneConfig z) {
        return zone(z, rate, stagedRate, RateZone::config, () -> new RateZone(z, nanoClock));
    }

    /** The state of concurrency zone {@code z}, as {@link #rate}. */
    public synchronized ConcurrencyZone concurrency(LimitZoneConfig z) {
        return zone(z, concurrency, stagedConcurrency, ConcurrencyZone::config, () -> new ConcurrencyZone(z));
    }

    private static <Z> Z zone(LimitZoneConfig z, Map<String, Z> running, Map<String, Z> staged,
                              Function<Z, LimitZoneConfig> config, Supplier<Z> fresh) {
        Z kept = running.get(z.name());
        if (staged == null) {
            if (kept == null || !config.apply(kept).equals(z)) {
                kept = fresh.get();
                running.put(z.name(), kept);
            }
            return kept;
        }
        Z s = staged.get(z.name());
        if (s == null || !config.apply(s).equals(z)) {
            s = kept != null && config.apply(kept).equals(z) ? kept : fresh.get();
            staged.put(z.name(), s);
        }
        return s;
    }

    /**
     * Starts a reload: the zones that {@code listeners} and their routes name are made (or the
     * running ones kept) now, on the side, so that everything a reload allocates for them happens
     * while it can still fail and roll back; {@link #rate} and {@link #concurrency} hand out these
     * until {@link #commit} makes them the running zones or {@link #discard} forgets them. Without
     * this, a reload that failed after building a listener (a bind refused) left its changed zone
     * as the running one, and the next reload of the unchanged file reset the zone in use.
     */
    public synchronized void stage(Collection<io.kodiak.config.ListenerConfig> listeners) {
        stagedRate = new HashMap<>();
        stagedConcurrency = new HashMap<>();
        List<LimitZoneConfig> rates = new ArrayList<>();
        List<LimitZoneConfig> concurrencies = new ArrayList<>();
        named(listeners, rates, concurrencies);
        rates.forEach(this::rate);
        concurrencies.forEach(this::concurrency);
    }

    /** The reload is applied: the staged zones are the running ones (those it no longer names go). */
    public synchronized void commit() {
        if (stagedRate != null) {
            rate.clear();
            rate.putAll(stagedRate);
            concurrency.clear();
            concurrency.putAll(stagedConcurrency);
        }
        discard();
    }

    /** The reload failed: the running zones stay as they were. */
    public synchronized void discard() {
        stagedRate = null;
        stagedConcurrency = null;
    }

    /**
     * Forgets the zones no listener or route of the running configuration names any more
     * ({@code live}: the zone definitions they name), so that their memory and metrics go.
     */
    public synchronized void retain(Collection<LimitZoneConfig> live) {
        rate.values().removeIf(z -> !live.contains(z.config()));
        concurrency.values().removeIf(z -> !live.contains(z.config()));
    }

    /** {@link #retain} the zones that {@code listeners} and their routes name. */
    public void retainNamedBy(Collection<io.kodiak.config.ListenerConfig> listeners) {
        List<LimitZoneConfig> live = new ArrayList<>();
        named(listeners, live, live);
        retain(live);
    }

    private static void named(Collection<io.kodiak.config.ListenerConfig> listeners, List<LimitZoneConfig> rates,
                              List<LimitZoneConfig> concurrencies) {
        for (io.kodiak.config.ListenerConfig l : listeners) {
            named(l.features(), rates, concurrencies);
            for (io.kodiak.config.RouteConfig r : l.routes()) {
                named(r.features(), rates, concurrencies);
            }
        }
    }

    private static void named(List<io.kodiak.config.FeatureConfig> features, List<LimitZoneConfig> rates,
                              List<LimitZoneConfig> concurrencies) {
        for (io.kodiak.config.FeatureConfig f : features) {
            if (f instanceof io.kodiak.config.RateLimitConfig c) {
                c.rules().forEach(r -> rates.add(r.zone()));
            } else if (f instanceof io.kodiak.config.ConcurrencyLimitConfig c) {
                c.rules().forEach(r -> concurrencies.add(r.zone()));
            }
        }
    }

    /** The rate zones in use now, for the metrics. */
    public synchronized List<RateZone> rateZones() {
        return new ArrayList<>(rate.values());
    }

    /** The concurrency zones in use now, for the metrics. */
    public synchronized List<ConcurrencyZone> concurrencyZones() {
        return new ArrayList<>(concurrency.values());
    }

    @Override
    public synchronized String toString() {
        return "LimitZones" + rate.values() + concurrency.values();
    }
}
