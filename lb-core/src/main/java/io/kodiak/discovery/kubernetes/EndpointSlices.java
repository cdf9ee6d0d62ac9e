package io.kodiak.discovery.kubernetes;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointHints;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.kodiak.discovery.Endpoint;
import io.kodiak.discovery.Readiness;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * A Service's EndpointSlices as one list of {@link Endpoint}s: a pure function, so that the
 * condition mapping and the port choice are tested without a server.
 *
 * <p>Conditions (discovery.k8s.io/v1; nil {@code ready} means true, nil {@code serving} means
 * whatever {@code ready} says, nil {@code terminating} means false):
 * <ul>
 *   <li>{@code terminating && serving}: {@link Readiness#DRAIN}. The pod is being deleted and still
 *       answers: its requests in flight finish, it gets no new one, and nobody has to act. This is
 *       checked before {@code ready}, because a Service with {@code publishNotReadyAddresses}
 *       reports terminating pods as ready.</li>
 *   <li>{@code terminating && !serving}: {@link Readiness#OUT}.</li>
 *   <li>{@code ready}: {@link Readiness#READY}; otherwise {@link Readiness#OUT} (kept as an
 *       upstream, out of rotation, so that its health and counters survive a readiness flap).</li>
 * </ul>
 * Each endpoint's first address is used (the API says consumers may use only the first; dual-stack
 * Services have one slice per family). FQDN slices are skipped: Kodiak wants addresses here.
 * An address in two slices (an endpoint moving between slices) counts once, at its best readiness.
 */
final class EndpointSlices {
    /** Bounds what one Service can add to a pool, whatever the API server holds. */
    static final int MAX_ADDRESSES = 512;
    /** Problems named in {@link Mapped#problem()}, each cut to {@link #MAX_PROBLEM} characters: it goes to a log line and a status field. */
    static final int MAX_PROBLEMS = 3;
    static final int MAX_PROBLEM = 300;

    private EndpointSlices() {
    }

    /**
     * @param endpoints sorted by address text, at most {@code cap}
     * @param problem   why some or all were left out (no such port, over the cap), or {@code null}
     */
    record Mapped(List<Endpoint> endpoints, String problem) {
    }

    /**
     * @param host the name the endpoints are known by (the Service's DNS name)
     * @param port the port's name or number, or {@code null} for the slices' only port
     */
    static Mapped map(Collection<EndpointSlice> slices, String host, String port, int cap) {
        Map<String, Endpoint> byAddress = new TreeMap<>();
        Problems problems = new Problems();
        List<EndpointSlice> ordered = new ArrayList<>(slices);
        ordered.sort(Comparator.comparing(s -> s.getMetadata() == null || s.getMetadata().getName() == null ? "" : s.getMetadata().getName()));
        for (EndpointSlice slice : ordered) {
            String type = slice.getAddressType();
            if (!"IPv4".equals(type) && !"IPv6".equals(type)) {
                problems.add("addressType " + type + " skipped (only IPv4 and IPv6 slices give addresses)");
                continue;
            }
            Integer number = port(slice.getPorts(), port, problems);
            if (number == null || slice.getEndpoints() == null) {
                continue;
            }
            for (io.fabric8.kubernetes.api.model.discovery.v1.Endpoint e : slice.getEndpoints()) {
                Endpoint mapped = endpoint(e, host, number);
                if (mapped != null) {
                    byAddress.merge(mapped.addressText(), mapped,
                            (a, b) -> a.readiness().ordinal() <= b.readiness().ordinal() ? a : b);
                }
            }
        }
        List<Endpoint> all = new ArrayList<>(byAddress.values());
        String text = problems.text();
        if (all.size() > cap) {
            String over = "the Service has " + all.size() + " addresses; the first " + cap + " are used";
            text = text == null ? over : text + "; " + over;
            all = all.subList(0, cap);
        }
        return new Mapped(List.copyOf(all), text);
    }

    /**
     * The distinct problems of one mapping, bounded: the slices are the API server's (anyone who
     * may write EndpointSlices writes their addressType and port names), the text goes to a log
     * line and a status field. The first {@value #MAX_PROBLEMS}, each cut to {@value #MAX_PROBLEM}
     * characters, and how many more.
     */
    static final class Problems {
        private final Set<String> kept = new LinkedHashSet<>();
        private int more;

        void add(String problem) {
            String cut = problem.length() > MAX_PROBLEM ? problem.substring(0, MAX_PROBLEM) + "..." : problem;
            if (kept.contains(cut)) {
                return;
            }
            if (kept.size() >= MAX_PROBLEMS) {
                more++;
                return;
            }
            kept.add(cut);
        }

        String text() {
            return kept.isEmpty() ? null : String.join("; ", kept) + (more > 0 ? "; and " + more + " more" : "");
        }
    }

    /** What the conditions say (see the class comment). */
    static Readiness readiness(EndpointConditions c) {
        boolean ready = c == null || c.getReady() == null || c.getReady();
        boolean serving = c == null || c.getServing() == null ? ready : c.getServing();
        boolean terminating = c != null && Boolean.TRUE.equals(c.getTerminating());
        if (terminating) {
            return serving ? Readiness.DRAIN : Readiness.OUT;
        }
        return ready ? Readiness.READY : Readiness.OUT;
    }

    /** The port number a slice gives for {@code wanted}, or {@code null} (with the reason added). */
    static Integer port(List<EndpointPort> ports, String wanted, Problems problems) {
        List<EndpointPort> tcp = ports == null ? List.of()
                : ports.stream().filter(p -> p.getPort() != null && (p.getProtocol() == null || p.getProtocol().equals("TCP"))).toList();
        if (wanted == null) {
            if (tcp.size() == 1) {
                return tcp.get(0).getPort();
            }
            problems.add(tcp.isEmpty() ? "a slice has no TCP port"
                    : "the Service has ports " + names(tcp) + ": name one with port:");
            return null;
        }
        boolean numeric = !wanted.isEmpty() && wanted.chars().allMatch(ch -> ch >= '0' && ch <= '9') && wanted.length() <= 5;
        for (EndpointPort p : tcp) {
            if (numeric ? p.getPort() == Integer.parseInt(wanted) : wanted.equals(p.getName())) {
                return p.getPort();
            }
        }
        problems.add("no port " + (numeric ? wanted : "named " + wanted) + " in the EndpointSlices (ports: " + names(tcp)
                + "; a number is the pods' port, not the Service's)");
        return null;
    }

    private static String names(List<EndpointPort> ports) {
        return ports.stream().map(p -> (p.getName() == null || p.getName().isEmpty() ? "" : p.getName() + "=") + p.getPort())
                .collect(Collectors.joining(", "));
    }

    private static Endpoint endpoint(io.fabric8.kubernetes.api.model.discovery.v1.Endpoint e, String host, int port) {
        if (e.getAddresses() == null || e.getAddresses().isEmpty()) {
            return null;
        }
        InetAddress address = literal(e.getAddresses().get(0));
        if (address == null) {
            return null;
        }
        String label = e.getTargetRef() != null ? e.getTargetRef().getName() : null;
        return new Endpoint(host, address, port, 0, 0, readiness(e.getConditions()), zone(e), label);
    }

    /** The endpoint's zone, else the first zone hint (for topology-aware routing later). */
    private static String zone(io.fabric8.kubernetes.api.model.discovery.v1.Endpoint e) {
        if (e.getZone() != null && !e.getZone().isEmpty()) {
            return e.getZone();
        }
        EndpointHints hints = e.getHints();
        if (hints != null && hints.getForZones() != null && !hints.getForZones().isEmpty()) {
            return hints.getForZones().get(0).getName();
        }
        return null;
    }

    /**
     * An IP literal without DNS, or {@code null}: a strict dotted quad, or an IPv6 literal in
     * brackets, which {@link InetAddress} refuses to look up. Made with
     * {@link InetAddress#getByAddress(byte[])} so that it carries no host name.
     */
    static InetAddress literal(String text) {
        if (text == null || text.isEmpty() || text.length() > 45) {
            return null;
        }
        boolean v6 = text.indexOf(':') >= 0;
        if (!v6 && !text.matches("(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])")) {
            return null;
        }
        try {
            return InetAddress.getByAddress(InetAddress.getByName(v6 ? "[" + text + "]" : text).getAddress());
        } catch (UnknownHostException e) {
            return null;
        }
    }
}
