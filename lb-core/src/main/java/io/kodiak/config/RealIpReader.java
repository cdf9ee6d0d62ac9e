package io.kodiak.config;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads a listener's {@code proxy-protocol}, {@code proxy-protocol-from} and {@code real-ip} into
 * its {@link ClientAddressConfig}.
 */
final class RealIpReader {
    private static final List<String> REAL_IP_KEYS = List.of("from", "header", "recursive");

    private RealIpReader() {
    }

    /**
     * @param underscores whether the listener keeps fields named with '_' (else a header so named is never seen)
     * @param warnings    where a trust that lets any client set its address is reported
     * @return null when the listener has none of them (the TCP peer is the client)
     */
    static ClientAddressConfig read(ConfigMapping listener, boolean underscores, List<String> warnings)
            throws ConfigException {
        ConfigNode on = listener.get("proxy-protocol");
        ConfigNode fromNode = listener.get("proxy-protocol-from");
        ClientAddressConfig.ProxyProtocol proxy = null;
        if (on != null && on.bool()) {
            if (fromNode == null) {
                // Any peer's header is believed: whoever reaches the port names any address, which
                // every per-address rule, rate limit and max-connections-per-address then trusts.
                warnings.add(on.error("true without proxy-protocol-from: any peer that reaches this port can say it is"
                        + " any client; list the balancers in proxy-protocol-from (or keep the port reachable from them alone)")
                        .getMessage());
            }
            proxy = new ClientAddressConfig.ProxyProtocol(fromNode == null ? List.of() : ranges(fromNode, warnings,
                    "lets any peer that reaches this port say it is any client: list the balancers in front of Kodiak"));
        } else if (fromNode != null) {
            throw fromNode.error("needs proxy-protocol: true");
        }
        ConfigNode realIpNode = listener.get("real-ip");
        RealIpConfig realIp = realIpNode == null ? null : realIp(realIpNode, underscores, warnings);
        return proxy == null && realIp == null ? null : new ClientAddressConfig(proxy, realIp);
    }

    private static RealIpConfig realIp(ConfigNode node, boolean underscores, List<String> warnings)
            throws ConfigException {
        ConfigMapping m = node.mapping(REAL_IP_KEYS);
        List<Cidr> from = ranges(m.require("from"), warnings,
                "trusts every address: any client can say it is any other (list the proxies in front of Kodiak)");
        String header = RealIpConfig.DEFAULT_HEADER;
        ConfigNode h = m.get("header");
        if (h != null) {
            header = h.string();
            if (!header.matches("[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}")) {
                throw h.error(Values.quote(header) + " is not a field name");
            }
            if (header.equalsIgnoreCase("Forwarded")) {
                // Its elements are for=...;proto=... pairs, not address lists: read as one, no entry
                // would ever be an address and every request would keep the proxy's.
                throw h.error("Forwarded (RFC 7239) is not read: its for= pairs are not an address list;"
                        + " use X-Forwarded-For or a field holding addresses (X-Real-IP, CF-Connecting-IP)");
            }
            if (header.indexOf('_') >= 0 && !underscores) {
                throw h.error(Values.quote(header) + " would never be found: this listener drops request fields"
                        + " whose name holds '_' (underscores-in-headers: pass keeps them)");
            }
        }
        boolean recursive = m.get("recursive") != null && m.get("recursive").bool();
        return new RealIpConfig(from, header, recursive);
    }

    private static List<Cidr> ranges(ConfigNode node, List<String> warnings, String everyone) throws ConfigException {
        List<ConfigNode> items = node.isScalar() ? List.of(node) : node.sequence();
        if (items.isEmpty()) {
            throw node.error("must list at least one address or range");
        }
        List<Cidr> out = new ArrayList<>();
        for (ConfigNode item : items) {
            Cidr c = item.parse("an address or range", Cidr::parse);
            if (c.toString().endsWith("/0")) {
                warnings.add(item.error(item.string() + " " + everyone).getMessage());
            }
            out.add(c);
        }
        return out;
    }
}
