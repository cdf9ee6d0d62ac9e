package io.kodiak.discovery.kubernetes;

import io.kodiak.discovery.DiscoveryListener;
import io.kodiak.discovery.Endpoint;
import io.kodiak.discovery.EndpointSet;

import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/** A listener that keeps every set it gets, and waits (with a deadline) for one that fits. */
final class Sets implements DiscoveryListener {
    private static final long DEADLINE_SECONDS = 30;
    private final LinkedBlockingQueue<EndpointSet> sets = new LinkedBlockingQueue<>(1000);
    private final StringBuilder seen = new StringBuilder();

    @Override
    public void onChange(EndpointSet set) {
        sets.add(set);
    }

    /** The first set from now on that fits, skipping others; fails after 30 s. */
    EndpointSet await(String what, Predicate<EndpointSet> fits) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(DEADLINE_SECONDS);
        while (System.nanoTime() < end) {
            EndpointSet s = sets.poll(100, TimeUnit.MILLISECONDS);
            if (s != null) {
                seen.append(show(s)).append('\n');
                if (fits.test(s)) {
                    return s;
                }
            }
        }
        throw new AssertionError("no set with " + what + " within " + DEADLINE_SECONDS + " s; seen:\n" + seen);
    }

    /** Forgets the sets not awaited yet: what comes next is news. */
    void skipQueued() {
        List<EndpointSet> skipped = new java.util.ArrayList<>();
        sets.drainTo(skipped);
        skipped.forEach(s -> seen.append(show(s)).append(" (skipped)\n"));
    }

    /** {@code 10.0.0.1:8000 READY pod-1, ...}, stale or not. */
    static String show(EndpointSet s) {
        return s.endpoints().stream().map(e -> e.addressText() + " " + e.readiness() + " " + e.label())
                .collect(Collectors.joining(", ")) + (s.stale() ? " (stale: " + s.error() + ")" : "");
    }

    static String show(List<Endpoint> endpoints) {
        return show(new EndpointSet(endpoints, false, null));
    }
}
