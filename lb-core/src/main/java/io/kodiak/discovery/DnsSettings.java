package io.kodiak.discovery;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

/**
 * One {@code resolvers:} entry (HAProxy's {@code resolvers} section, nginx's {@code resolver}).
 *
 * @param name         the entry's name; {@code default} for the implicit one
 * @param nameservers  where to ask; empty for the system's (/etc/resolv.conf, read at start)
 * @param timeout      per query (nginx {@code resolver_timeout}, HAProxy {@code timeout resolve})
 * @param attempts     tries per nameserver (HAProxy {@code resolve_retries})
 * @param minTtl       a record's TTL is raised to this
 * @param maxTtl       and lowered to this (Docker's DNS says 600 s)
 * @param valid        overrides the TTL when set (nginx {@code valid=}), else {@code null}
 * @param holdNx       how long NXDOMAIN or an empty answer keeps the last good set (HAProxy
 *                     {@code hold nx}); {@code null} for forever. Failures keep it forever.
 * @param holdObsolete how long a vanished address stays before it is drained (HAProxy {@code hold obsolete})
 * @param ipv4         ask A records
 * @param ipv6         ask AAAA records
 */
public record DnsSettings(String name, List<InetSocketAddress> nameservers, Duration timeout, int attempts,
                          Duration minTtl, Duration maxTtl, Duration valid, Duration holdNx, Duration holdObsolete,
                          boolean ipv4, boolean ipv6) {
    public static final DnsSettings DEFAULTS = new DnsSettings("default", List.of(), Duration.ofSeconds(2), 2,
            Duration.ofSeconds(1), Duration.ofSeconds(300), null, Duration.ofSeconds(30), Duration.ZERO, true, true);

    public DnsSettings {
        nameservers = List.copyOf(nameservers);
    }

    public DnsSettings withName(String n) {
        return new DnsSettings(n, nameservers, timeout, attempts, minTtl, maxTtl, valid, holdNx, holdObsolete, ipv4, ipv6);
    }

    public DnsSettings withNameservers(List<InetSocketAddress> ns) {
        return new DnsSettings(name, ns, timeout, attempts, minTtl, maxTtl, valid, holdNx, holdObsolete, ipv4, ipv6);
    }
}
