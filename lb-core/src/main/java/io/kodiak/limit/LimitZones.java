package io.kodiak.limit;

import io.kodiak.config.LimitZoneConfig;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The zones of the running configuration, kept across reloads (the process's
 * {@code FeatureRuntime} holds one): a listener or route built for a new configuration gets the
 * zone state of the same name if its definition is unchanged, so a reload neither resets the
 * clients' buckets nor drops their in-progress counts (nginx keeps a shared memory zone whose key
 * and size are unchanged). A changed definition starts a new zone; the old one lives on only in
 * the old routes until their last request ends.
 *
 * <p>Threading: any thread; routers are built under this object's lock (at start and reload),
 * never on the data path.
 */
public final class LimitZones {
    private final LongSupplier nanoClock;
    private final Map<String, RateZone> rate = new HashMap<>();
    private final Map<String, ConcurrencyZone> concurrency = new HashMap<>();

    public LimitZones() {
        this(System::nanoTime);
    }

    /** @param nanoClock the rate zones' clock (a fake one in tests) */
    public LimitZones(LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
    }

    /** The state of rate zone {@code z}: the one running if its definition is {@code z}, else a new one. */
    public synchronized RateZone rate(LimitZoneConfig z) {
        RateZone running = rate.get(z.name());
        if (running == null || !running.config().equals(z)) {
            running = new RateZone(z, nanoClock);
            rate.put(z.name(), running);
        }
        return running;
    }

    /** The state of concurrency zone {@code z}, as {@link #rate}. */
    public synchronized ConcurrencyZone concurrency(LimitZoneConfig z) {
        ConcurrencyZone running = concurrency.get(z.name());
        if (running == null || !running.config().equals(z)) {
            running = new ConcurrencyZone(z);
            concurrency.put(z.name(), running);
        }
        return running;
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
        for (io.kodiak.config.ListenerConfig l : listeners) {
            named(l.features(), live);
            for (io.kodiak.config.RouteConfig r : l.routes()) {
                named(r.features(), live);
            }
        }
        retain(live);
    }

    private static void named(List<io.kodiak.config.FeatureConfig> features, List<LimitZoneConfig> out) {
        for (io.kodiak.config.FeatureConfig f : features) {
            if (f instanceof io.kodiak.config.RateLimitConfig c) {
                c.rules().forEach(r -> out.add(r.zone()));
            } else if (f instanceof io.kodiak.config.ConcurrencyLimitConfig c) {
                c.rules().forEach(r -> out.add(r.zone()));
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
