package io.kodiak.proxy;

import io.kodiak.config.UpstreamConfig;
import io.kodiak.config.UpstreamSource;
import io.kodiak.discovery.Endpoint;
import io.kodiak.discovery.EndpointSet;
import io.kodiak.discovery.Readiness;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Logger;

/**
 * What a source's set means for its pool: one upstream per address, named {@code ENTRY[ADDRESS]}
 * ({@code app[10.0.0.5:8000]}), so that a name and address that stay across answers keep their
 * upstream (and with it their load, health, outlier and admin state), and what the source says of
 * each one's readiness (a terminating Kubernetes endpoint drains).
 *
 * @param upstreams the upstreams, in the set's order (sorted by address), at most {@link #MAX_ADDRESSES}
 * @param readiness the upstreams the source does not call READY, by name
 * @param stale     whether the source is failing and this is its last good set
 */
record DiscoveredSet(List<UpstreamConfig> upstreams, Map<String, Readiness> readiness, boolean stale) {
    private static final Logger LOG = Logger.getLogger(DiscoveredSet.class.getName());
    /**
     * The most addresses one source gives a pool: an answer of 10,000 records or a flood of
     * EndpointSlices cannot grow the pool (and its checks, connection pools and MBeans) without
     * bound. HAProxy's {@code server-template} has a fixed count too.
     */
    static final int MAX_ADDRESSES = 512;
    /** {@code Values.NAME}'s limit on an upstream's name. */
    static final int MAX_NAME = 100;

    DiscoveredSet {
        upstreams = List.copyOf(upstreams);
        readiness = Map.copyOf(readiness);
    }

    /**
     * The upstreams of {@code set} as entry {@code s} makes them: the endpoint's own weight (SRV)
     * or else the entry's, the entry's max-connections, the endpoint's SRV priority. An address
     * twice in the set (two SRV targets on one address) is one upstream.
     */
    static DiscoveredSet of(UpstreamSource s, EndpointSet set) {
        List<UpstreamConfig> ups = new ArrayList<>();
        Map<String, Readiness> readiness = new LinkedHashMap<>();
        Set<String> names = new HashSet<>();
        for (Endpoint e : set.endpoints()) {
            if (ups.size() == MAX_ADDRESSES) {
                LOG.warning(() -> s.id() + ": " + set.endpoints().size() + " addresses; only the first " + MAX_ADDRESSES
                        + " (by address) become upstreams");
                break;
            }
            String name = name(s.name(), e.addressText());
            if (!names.add(name)) {
                continue;
            }
            String host = e.host() != null ? e.host() : e.address().getHostAddress();
            int weight = e.weight() > 0 ? Math.min(e.weight(), 1000) : s.weight();
            ups.add(new UpstreamConfig(name, host, e.port(), weight, s.maxConnections(), e.address(), s.id(), null, e.priority()));
            if (e.readiness() != Readiness.READY) {
                readiness.put(name, e.readiness());
            }
        }
        return new DiscoveredSet(ups, readiness, set.stale());
    }

    /** {@code ENTRY[ADDRESS]}, the entry's part cut so that the whole fits {@value #MAX_NAME} characters. */
    static String name(String entry, String address) {
        String tail = "[" + address + "]";
        int room = MAX_NAME - tail.length();
        return (entry.length() > room ? entry.substring(0, Math.max(0, room)) : entry) + tail;
    }
}
