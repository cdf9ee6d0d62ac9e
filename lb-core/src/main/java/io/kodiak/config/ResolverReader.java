package io.kodiak.config;

import io.kodiak.discovery.DnsSettings;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the top-level {@code resolvers:} section: named DNS resolvers for upstream entries with
 * {@code resolve: true} or {@code service:} (HAProxy's {@code resolvers} sections, nginx's
 * {@code resolver} directive). Every key left out takes {@link DnsSettings#DEFAULTS}'s value. The
 * name {@code default} is the one entries use when they name none; defining it replaces the
 * system's resolver with these settings.
 *
 * <p>Bounds, and why: a {@code timeout} under 100 ms gives up on a healthy resolver across a busy
 * network and over 60 s leaves a name unanswered for a minute; {@code min-ttl} and {@code valid}
 * of at least 100 ms keep a name with TTL 0 from being asked in a loop; {@code max-ttl} of at most
 * a day bounds how late a change is seen. Nameservers are IP addresses: a nameserver named by a
 * name would need DNS to find DNS.
 *
 * <p>Stateless; called on the loading thread.
 */
final class ResolverReader {
    private static final List<String> KEYS = List.of("nameservers", "timeout", "attempts", "min-ttl", "max-ttl", "valid",
            "hold-nx", "hold-obsolete", "ipv4", "ipv6");
    private static final Duration MIN_TIMEOUT = Duration.ofMillis(100);
    private static final Duration MAX_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration MIN_TTL_FLOOR = Duration.ofMillis(100);
    private static final Duration MAX_TTL_CEILING = Duration.ofDays(1);
    /** More nameservers than this is a list pasted by mistake; resolv.conf itself takes three. */
    static final int MAX_NAMESERVERS = 16;

    private ResolverReader() {
    }

    /**
     * @param node the {@code resolvers:} value, or {@code null} when the file has none
     * @return the entries by name, in file order; empty for none (the caller adds {@code default})
     */
    static Map<String, DnsSettings> read(ConfigNode node) throws ConfigException {
        Map<String, DnsSettings> result = new LinkedHashMap<>();
        if (node == null) {
            return result;
        }
        ConfigMapping resolvers = node.freeMapping();
        for (String name : resolvers.keys()) {
            try {
                Values.name(name);
            } catch (IllegalArgumentException e) {
                throw resolvers.keyError(name, e.getMessage());
            }
            result.put(name, resolver(name, resolvers.get(name)));
        }
        return result;
    }

    private static DnsSettings resolver(String name, ConfigNode node) throws ConfigException {
        ConfigMapping m = node.mapping(KEYS);
        DnsSettings d = DnsSettings.DEFAULTS;
        List<InetSocketAddress> nameservers = m.get("nameservers") == null ? d.nameservers() : nameservers(m.get("nameservers"));
        Duration timeout = within(m, "timeout", d.timeout(), MIN_TIMEOUT, MAX_TIMEOUT);
        int attempts = m.get("attempts") == null ? d.attempts() : m.get("attempts").integer(1, 10);
        Duration minTtl = within(m, "min-ttl", d.minTtl(), MIN_TTL_FLOOR, MAX_TTL_CEILING);
        Duration maxTtl = within(m, "max-ttl", d.maxTtl(), MIN_TTL_FLOOR, MAX_TTL_CEILING);
        if (minTtl.compareTo(maxTtl) > 0) {
            ConfigNode at = m.get("min-ttl") != null ? m.get("min-ttl") : m.get("max-ttl");
            throw at.error("min-ttl (" + Values.format(minTtl) + ") is longer than max-ttl (" + Values.format(maxTtl) + ")");
        }
        Duration valid = within(m, "valid", d.valid(), MIN_TTL_FLOOR, MAX_TTL_CEILING);
        Duration holdNx = d.holdNx();
        ConfigNode holdNxNode = m.get("hold-nx");
        if (holdNxNode != null) {
            holdNx = holdNxNode.isScalar() && holdNxNode.text().equals("forever") ? null
                    : holdNxNode.parse("a duration or forever", ResolverReader::zeroOrDuration);
        }
        Duration holdObsolete = m.get("hold-obsolete") == null ? d.holdObsolete()
                : m.get("hold-obsolete").parse("a duration", ResolverReader::zeroOrDuration);
        boolean ipv4 = m.get("ipv4") == null ? d.ipv4() : m.get("ipv4").bool();
        boolean ipv6 = m.get("ipv6") == null ? d.ipv6() : m.get("ipv6").bool();
        if (!ipv4 && !ipv6) {
            throw m.get("ipv6").error("ipv4 and ipv6 are both false: there would be nothing to ask");
        }
        return new DnsSettings(name, nameservers, timeout, attempts, minTtl, maxTtl, valid, holdNx, holdObsolete, ipv4, ipv6);
    }

    /** {@code nameservers:} a list of {@code IP[:PORT]}, or one; {@code []} for the system's. */
    private static List<InetSocketAddress> nameservers(ConfigNode node) throws ConfigException {
        List<ConfigNode> items = node.isScalar() ? List.of(node) : node.sequence();
        if (items.size() > MAX_NAMESERVERS) {
            throw node.error(items.size() + " nameservers is more than " + MAX_NAMESERVERS);
        }
        List<InetSocketAddress> result = new ArrayList<>();
        Map<InetSocketAddress, ConfigNode> seen = new HashMap<>();
        for (ConfigNode item : items) {
            InetSocketAddress ns = item.parse("IP:PORT", DiscoveryValues::nameserver);
            ConfigNode first = seen.putIfAbsent(ns, item);
            if (first != null) {
                throw item.error(DiscoveryValues.format(ns) + " is already listed at " + first.path()
                        + " (line " + first.line() + ")");
            }
            result.add(ns);
        }
        return result;
    }

    /** A duration between {@code min} and {@code max}, or {@code fallback} when the key is absent. */
    private static Duration within(ConfigMapping m, String key, Duration fallback, Duration min, Duration max)
            throws ConfigException {
        ConfigNode node = m.get(key);
        if (node == null) {
            return fallback;
        }
        Duration d = node.duration();
        if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
            throw node.error(Values.format(d) + " is out of range (must be " + Values.format(min) + "-" + Values.format(max) + ")");
        }
        return d;
    }

    /** A duration that may be zero ({@code hold-obsolete: 0s}: at once), which {@link Values#duration} refuses. */
    static Duration zeroOrDuration(String text) {
        if (text.matches("0+(ms|s|m|h)")) {
            return Duration.ZERO;
        }
        return Values.duration(text);
    }
}
