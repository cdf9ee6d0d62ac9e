package io.kodiak.discovery.dns;

import io.kodiak.discovery.DnsSettings;
import io.kodiak.discovery.Endpoint;
import io.kodiak.discovery.EndpointSet;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a source shows after each resolution, and when it asks again: the semantics of
 * {@code resolvers:} in one place, with no I/O, no clock and no randomness of its own (time and a
 * jitter draw come in), so that each rule is tested alone.
 *
 * <ul>
 *   <li><b>Success</b>: the answer is the set. Asked again after the answer's smallest TTL clamped
 *       to [{@code min-ttl}, {@code max-ttl}], or after {@code valid} when set (nginx
 *       {@code valid=}), ±10 % jitter so that many sources do not ask in step.</li>
 *   <li><b>Failure</b> (timeout, SERVFAIL, REFUSED, network): the last good set is kept for ever
 *       and marked stale (HAProxy {@code hold other|refused|timeout} with no end; nginx also keeps
 *       the old addresses). Asked again after 1 s, 2 s, 4 s ... at most {@code max-ttl}.</li>
 *   <li><b>NXDOMAIN or no record</b>: the last good set is kept, stale, for {@code hold-nx}
 *       (HAProxy {@code hold nx}, 30 s), then the set is empty; {@code null} keeps it for ever.
 *       Asked again after the negative TTL (the SOA's, RFC 2308) clamped like a TTL, but never
 *       later than the end of the hold.</li>
 *   <li><b>hold-obsolete</b> (HAProxy's name): an address missing from a successful answer stays
 *       that long (not stale) before it goes, against answers that rotate a subset of a large
 *       set. Within the 512 cap the latest vanished are kept first; one left out by the cap
 *       is forgotten at once.</li>
 *   <li>Before the first success nothing is shown ({@link #set()} is {@code null}): an empty pool
 *       answers 503 until DNS answers (HAProxy {@code init-addr none}).</li>
 * </ul>
 * No delay is shorter than {@link #MIN_DELAY}, whatever TTL and settings say.
 *
 * <p>Threading: not thread-safe; the watch calls it on the discovery thread only.
 */
final class HoldPolicy {
    static final Duration MIN_DELAY = Duration.ofMillis(100);
    static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
    /** ±10 %. */
    static final double JITTER = 0.10;

    private final DnsSettings settings;
    /** The set shown, or null before the first success. */
    private List<Endpoint> shown;
    private boolean stale;
    private String error;
    /** Vanished addresses kept by hold-obsolete, to the time (ms) they go; insertion order. */
    private final Map<String, Kept> obsolete = new LinkedHashMap<>();
    /** When NXDOMAIN/empty began after a success, or -1. */
    private long negativeSince = -1;
    private int failures;

    private record Kept(Endpoint endpoint, long until) {
    }

    HoldPolicy(DnsSettings settings) {
        this.settings = settings;
    }

    /**
     * Takes one resolution's outcome.
     *
     * @param now    wall clock, ms
     * @param jitter a draw in [0, 1) (0.5: no jitter)
     * @return the delay until the next resolution, ms
     */
    long apply(DnsLookup.Resolution r, long now, double jitter) {
        if (r.result() == DnsResult.OK) {
            return success(r, now, jitter);
        }
        if (r.result().negative()) {
            return negative(r, now, jitter);
        }
        failures++;
        if (shown != null) {
            stale = true;
            error = r.detail();
        }
        long backoff = FIRST_BACKOFF.toMillis() << Math.min(failures - 1, 30);
        return jittered(Math.min(backoff, settings.maxTtl().toMillis()), jitter);
    }

    private long success(DnsLookup.Resolution r, long now, double jitter) {
        failures = 0;
        negativeSince = -1;
        long holdObsolete = settings.holdObsolete() == null ? 0 : settings.holdObsolete().toMillis();
        Map<String, Endpoint> current = new LinkedHashMap<>();
        r.endpoints().forEach(e -> current.put(e.addressText(), e));
        if (holdObsolete > 0 && shown != null) {
            for (Endpoint e : shown) {
                if (!current.containsKey(e.addressText()) && !obsolete.containsKey(e.addressText())) {
                    obsolete.put(e.addressText(), new Kept(e, now + holdObsolete));
                }
            }
        }
        obsolete.keySet().removeAll(current.keySet());
        obsolete.values().removeIf(k -> k.until() <= now);
        List<Endpoint> next = new ArrayList<>(current.values());
        // The newest first: under the cap, the addresses that just vanished are the ones worth keeping.
        List<Kept> newestFirst = new ArrayList<>(obsolete.values());
        Collections.reverse(newestFirst);
        for (Kept k : newestFirst) {
            if (next.size() >= DnsLookup.MAX_ADDRESSES) {
                break;
            }
            next.add(k.endpoint());
        }
        // What the cap left out is gone from the set: forgotten, so the map stays within the cap
        // and an address once retired does not come back later.
        Set<String> inNext = new HashSet<>();
        next.forEach(e -> inNext.add(e.addressText()));
        obsolete.keySet().retainAll(inNext);
        next.sort(Comparator.comparing(Endpoint::addressText));
        shown = List.copyOf(next);
        stale = false;
        error = null;
        long delay = jittered(ttlDelay(r.ttlSeconds()), jitter);
        for (Kept k : obsolete.values()) {
            delay = Math.min(delay, Math.max(MIN_DELAY.toMillis(), k.until() - now));
        }
        return delay;
    }

    private long negative(DnsLookup.Resolution r, long now, double jitter) {
        failures = 0;
        long delay = jittered(ttlDelay(r.ttlSeconds()), jitter);
        if (shown == null) {
            return delay; // nothing to hold, nothing shown yet
        }
        if (negativeSince < 0) {
            negativeSince = now;
        }
        if (settings.holdNx() == null) {
            stale = !shown.isEmpty();
            error = stale ? r.detail() : null;
            return delay;
        }
        long end = negativeSince + settings.holdNx().toMillis();
        if (now >= end) {
            shown = List.of();
            obsolete.clear();
            stale = false;
            error = null;
            return delay;
        }
        stale = !shown.isEmpty();
        error = stale ? r.detail() : null;
        return Math.max(MIN_DELAY.toMillis(), Math.min(delay, end - now));
    }

    /** {@code valid} if set, else the TTL clamped; a missing TTL (-1) counts as {@code min-ttl}. */
    private long ttlDelay(long ttlSeconds) {
        if (settings.valid() != null) {
            return settings.valid().toMillis();
        }
        long ttl = ttlSeconds < 0 ? settings.minTtl().toMillis() : Math.multiplyExact(Math.min(ttlSeconds, Integer.MAX_VALUE), 1000L);
        return Math.max(settings.minTtl().toMillis(), Math.min(settings.maxTtl().toMillis(), ttl));
    }

    private static long jittered(long delay, double draw) {
        double factor = 1 - JITTER + 2 * JITTER * draw;
        return Math.max(MIN_DELAY.toMillis(), Math.round(delay * factor));
    }

    /** The set to show, or {@code null} before the first success. */
    EndpointSet set() {
        return shown == null ? null : new EndpointSet(shown, stale, error);
    }

    int failures() {
        return failures;
    }

    @Override
    public String toString() {
        return "HoldPolicy[" + (shown == null ? "nothing yet" : shown.size() + " shown") + (stale ? ", stale" : "")
                + ", failures " + failures + ", obsolete " + obsolete.size() + "]";
    }
}
