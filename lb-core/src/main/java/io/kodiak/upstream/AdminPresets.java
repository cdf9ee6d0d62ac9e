package io.kodiak.upstream;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Admin states waiting for upstreams that do not exist yet: a drain of {@code app[10.0.0.5:8000]}
 * read from the state file before DNS has answered, or a drain of the address {@code 10.0.0.5:8000}
 * that must also hold in a pool that discovers it later. A pool applies them to each upstream it
 * makes, before the upstream can take a request.
 *
 * <p>A pool also {@linkplain #remember remembers} here the operator's state of a DNS-discovered
 * upstream whose address left the answer, so that it is back in that state when the address
 * returns: DNS round robin that answers with part of the addresses must not undo a drain.
 *
 * <p>Thread-safe. Bounded: entries are added by admin actions, the state file and the shared
 * state (a READY address and a made upstream clear them; the state file drops them after a day),
 * and by pools for upstreams that went, which are capped at {@link #MAX_REMEMBERED} and dropped
 * after {@link #LIFETIME}.
 */
public final class AdminPresets {
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(AdminPresets.class.getName());
    /** How long a preset waits for its upstream: after that, the address is taken to be gone for good (design §1.6). */
    public static final java.time.Duration LIFETIME = java.time.Duration.ofHours(24);
    /** The most presets by name that {@link #remember} keeps: a DNS name whose answer churns through addresses cannot grow them. */
    public static final int MAX_REMEMBERED = 4096;

    /**
     * @param state  the admin state to start in
     * @param weight the runtime weight, or -1 for the configured one
     * @param sinceMillis when it was set (wall clock), so that stale ones can be dropped
     */
    public record Preset(AdminState state, int weight, long sinceMillis) {
    }

    private final Map<String, Preset> byUpstream = new ConcurrentHashMap<>();
    private final Map<String, Preset> byAddress = new ConcurrentHashMap<>();

    /**
     * For {@code pool/name}; {@code null} clears it. A READY one is kept: it is the operator's ready
     * for this one upstream against its address's drain, and beats that preset ({@link #applyTo}).
     */
    public void setUpstream(String pool, String name, Preset p) {
        if (p == null) {
            byUpstream.remove(pool + "/" + name);
        } else {
            byUpstream.put(pool + "/" + name, p);
        }
    }

    /**
     * For {@code pool/name}, an upstream that just left its pool in state {@code p}: those older than
     * {@link #LIFETIME} at {@code p}'s time go first, and at {@link #MAX_REMEMBERED} the oldest one
     * makes room (logged).
     */
    public void remember(String pool, String name, Preset p) {
        long now = p.sinceMillis();
        byUpstream.values().removeIf(old -> old.sinceMillis() != 0 && now - old.sinceMillis() > LIFETIME.toMillis());
        while (byUpstream.size() >= MAX_REMEMBERED && !byUpstream.containsKey(pool + "/" + name)) {
            byUpstream.entrySet().stream().min(java.util.Comparator.comparingLong(e -> e.getValue().sinceMillis()))
                    .ifPresent(oldest -> {
                        byUpstream.remove(oldest.getKey());
                        LOG.warning(() -> MAX_REMEMBERED + " upstreams wait for their address to come back; the state of "
                                + oldest.getKey() + " (" + oldest.getValue().state().apiName() + ") is dropped");
                    });
        }
        setUpstream(pool, name, p);
    }

    /**
     * For every upstream at {@code address} ({@link Upstream#addressText()}, or {@link Upstream#hostPort()}
     * with a name in lower case); {@code null} or READY clears it.
     */
    public void setAddress(String address, Preset p) {
        if (p == null || (p.state() == AdminState.READY && p.weight() < 0)) {
            byAddress.remove(address);
        } else {
            byAddress.put(address, p);
        }
    }

    public Map<String, Preset> upstreams() {
        return Map.copyOf(byUpstream);
    }

    public Map<String, Preset> addresses() {
        return Map.copyOf(byAddress);
    }

    /**
     * The preset of {@code u}'s address: by its resolved address, else as configured. Keys are kept
     * as {@code AddressKey} writes them, a host name in lower case (DNS names have no case), so the
     * configured {@code LocalHost:9002} is looked up as {@code localhost:9002}; a Unix path keeps its case.
     */
    public Preset forAddress(Upstream u) {
        Preset p = byAddress.get(u.addressText());
        if (p == null) {
            String hp = u.hostPort();
            p = byAddress.get(u.isUnix() ? hp : hp.toLowerCase(java.util.Locale.ROOT));
        }
        return p;
    }

    /** Applies what is preset for {@code u}, by name first, then by address. A name's preset is used up. */
    public void applyTo(Upstream u) {
        Preset p = byUpstream.remove(u.pool() + "/" + u.name());
        if (p == null) {
            p = forAddress(u);
        }
        if (p != null) {
            u.setAdminState(p.state());
            if (p.weight() >= 0) {
                u.setRuntimeWeight(p.weight());
            }
        }
    }
}
