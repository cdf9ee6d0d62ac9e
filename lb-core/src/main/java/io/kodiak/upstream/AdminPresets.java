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
 * state file; a READY address and a made upstream clear them, and the state file drops them after a day.
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
