package io.kodiak.upstream;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Admin states waiting for upstreams that do not exist yet: a drain of {@code app[10.0.0.5:8000]}
 * read from the state file before DNS has answered, or a drain of the address {@code 10.0.0.5:8000}
 * that must also hold in a pool that discovers it later. A pool applies them to each upstream it
 * makes, before the upstream can take a request.
 *
 * <p>Thread-safe. Bounded by what operators set: entries are only added by admin actions and the
 * state file, and {@code READY} clears them.
 */
public final class AdminPresets {
    /**
     * @param state  the admin state to start in
     * @param weight the runtime weight, or -1 for the configured one
     * @param sinceMillis when it was set (wall clock), so that stale ones can be dropped
     */
    public record Preset(AdminState state, int weight, long sinceMillis) {
    }

    private final Map<String, Preset> byUpstream = new ConcurrentHashMap<>();
    private final Map<String, Preset> byAddress = new ConcurrentHashMap<>();

    /** For {@code pool/name}; READY with no weight clears it. */
    public void setUpstream(String pool, String name, Preset p) {
        put(byUpstream, pool + "/" + name, p);
    }

    /** For every upstream at {@code address} ({@link Upstream#addressText()} or {@link Upstream#hostPort()}); READY clears it. */
    public void setAddress(String address, Preset p) {
        put(byAddress, address, p);
    }

    private static void put(Map<String, Preset> m, String key, Preset p) {
        if (p == null || (p.state() == AdminState.READY && p.weight() < 0)) {
            m.remove(key);
        } else {
            m.put(key, p);
        }
    }

    public Map<String, Preset> upstreams() {
        return Map.copyOf(byUpstream);
    }

    public Map<String, Preset> addresses() {
        return Map.copyOf(byAddress);
    }

    /** Applies what is preset for {@code u}, by name first, then by address. A name's preset is used up. */
    public void applyTo(Upstream u) {
        Preset p = byUpstream.remove(u.pool() + "/" + u.name());
        if (p == null) {
            p = byAddress.get(u.addressText());
            if (p == null) {
                p = byAddress.get(u.hostPort());
            }
        }
        if (p != null) {
            u.setAdminState(p.state());
            if (p.weight() >= 0) {
                u.setRuntimeWeight(p.weight());
            }
        }
    }
}
