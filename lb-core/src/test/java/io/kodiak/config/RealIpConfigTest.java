package io.kodiak.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static io.kodiak.config.ConfigLoaderRejectionTest.ONE_POOL;
import static io.kodiak.config.ConfigLoaderRejectionTest.assertRejected;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** {@code proxy-protocol}, {@code proxy-protocol-from} and {@code real-ip}: what they read into, and every rejection with its line. */
class RealIpConfigTest {
    private static final Path FILE = Path.of("kodiak.yaml");

    /** A listener on line 2 with {@code extra} on the lines after it (each indented four spaces). */
    private static String listener(String... extra) {
        StringBuilder b = new StringBuilder("listeners:\n  - name: l\n    address: 127.0.0.1:0\n");
        for (String e : extra) {
            b.append("    ").append(e).append('\n');
        }
        return b + ONE_POOL;
    }

    private static ListenerConfig read(String yaml) throws ConfigException {
        return ConfigLoader.parse(yaml, FILE).listeners().get(0);
    }

    @Test
    void readsIntoTheListenerAndDefaultsToTheTcpPeer() throws Exception {
        ListenerConfig plain = read(listener());
        assertNull(plain.clientAddress());
        assertNull(plain.proxyProtocol());
        assertNull(read(listener("proxy-protocol: false")).clientAddress());
        assertEquals(List.of(), read(listener("proxy-protocol: true")).proxyProtocol().from());
        ListenerConfig both = read(listener("proxy-protocol: true", "proxy-protocol-from: [10.0.0.0/8, \"2001:db8::/32\"]",
                "real-ip:", "  from: 10.0.0.0/8", "  header: X-Real-IP", "  recursive: true"));
        assertEquals(List.of(Cidr.parse("10.0.0.0/8"), Cidr.parse("2001:db8::/32")), both.proxyProtocol().from());
        assertEquals(new RealIpConfig(List.of(Cidr.parse("10.0.0.0/8")), "X-Real-IP", true), both.realIp());
        assertEquals(new RealIpConfig(List.of(Cidr.parse("192.168.0.0/16")), "X-Forwarded-For", false),
                read(listener("real-ip: {from: [192.168.0.0/16]}")).realIp());
        // Equal by value: a reload that changes nothing changes nothing.
        assertEquals(both, read(listener("proxy-protocol: true", "proxy-protocol-from: [10.0.0.0/8, \"2001:db8::/32\"]",
                "real-ip: {from: [10.0.0.0/8], header: X-Real-IP, recursive: true}")));
    }

    @Test
    void rejectsWithTheKeyAndLine() {
        assertRejected(listener("proxy-protocol-from: [10.0.0.0/8]"),
                "kodiak.yaml:4: listeners[0].proxy-protocol-from: needs proxy-protocol: true");
        assertRejected(listener("proxy-protocol: yes please"),
                "kodiak.yaml:4: listeners[0].proxy-protocol: expected true or false, got \"yes please\"");
        assertRejected(listener("proxy-protocol: true", "proxy-protocol-from: []"),
                "kodiak.yaml:5: listeners[0].proxy-protocol-from: must list at least one address or range");
        assertRejected(listener("real-ip: {header: X-Real-IP}"),
                "kodiak.yaml:4: listeners[0].real-ip.from: required key is missing");
        assertRejected(listener("real-ip:", "  from:", "    - 10.0.0.0/8", "    - lb.example.com"),
                "kodiak.yaml:7: listeners[0].real-ip.from[1]: \"lb.example.com\" is not an address or range"
                        + " (such as 10.0.0.0/8, 192.168.1.7, ::1/128)");
        assertRejected(listener("real-ip: {from: [10.0.0.1/8]}"),
                "kodiak.yaml:4: listeners[0].real-ip.from[0]: \"10.0.0.1/8\" has bits set after its /8 prefix: write 10.0.0.0/8");
        assertRejected(listener("real-ip: {from: [10.0.0.0/8], header: 'X Real'}"),
                "kodiak.yaml:4: listeners[0].real-ip.header: \"X Real\" is not a field name");
        assertRejected(listener("real-ip: {from: [10.0.0.0/8], header: X_Real_IP}"),
                "kodiak.yaml:4: listeners[0].real-ip.header: \"X_Real_IP\" would never be found: this listener drops"
                        + " request fields whose name holds '_' (underscores-in-headers: pass keeps them)");
        // Forwarded's elements are for=...;proto=... pairs: read as an address list, none would ever be one.
        assertRejected(listener("real-ip: {from: [10.0.0.0/8], header: forwarded}"),
                "kodiak.yaml:4: listeners[0].real-ip.header: Forwarded (RFC 7239) is not read: its for= pairs are not"
                        + " an address list; use X-Forwarded-For or a field holding addresses (X-Real-IP, CF-Connecting-IP)");
        assertRejected(listener("real-ip: {from: [10.0.0.0/8], recursve: true}"),
                "kodiak.yaml:4: listeners[0].real-ip.recursve: unknown key; did you mean \"recursive\"? (allowed: from, header, recursive)");
    }

    @Test
    void anUnderscoreHeaderIsFineWhenTheListenerKeepsSuchFields() throws Exception {
        assertEquals("X_Real_IP", read(listener("underscores-in-headers: pass",
                "real-ip: {from: [10.0.0.0/8], header: X_Real_IP}")).realIp().header());
    }

    @Test
    void trustingEveryAddressIsAWarning() throws Exception {
        List<String> w = ConfigLoader.parse(listener("real-ip: {from: [0.0.0.0/0, \"::/0\"]}"), FILE).warnings();
        assertEquals(List.of(
                "kodiak.yaml:4: listeners[0].real-ip.from[0]: 0.0.0.0/0 trusts every address: any client can say it is any"
                        + " other (list the proxies in front of Kodiak)",
                "kodiak.yaml:4: listeners[0].real-ip.from[1]: ::/0 trusts every address: any client can say it is any"
                        + " other (list the proxies in front of Kodiak)"), w);
        assertEquals(List.of(), ConfigLoader.parse(listener("real-ip: {from: [10.0.0.0/8]}"), FILE).warnings());
    }

    @Test
    void aProxyProtocolThatBelievesAnyPeerIsAWarning() throws Exception {
        assertEquals(List.of("kodiak.yaml:4: listeners[0].proxy-protocol: true without proxy-protocol-from: any peer that"
                        + " reaches this port can say it is any client; list the balancers in proxy-protocol-from (or keep"
                        + " the port reachable from them alone)"),
                ConfigLoader.parse(listener("proxy-protocol: true"), FILE).warnings());
        assertEquals(List.of("kodiak.yaml:5: listeners[0].proxy-protocol-from[0]: 0.0.0.0/0 lets any peer that reaches"
                        + " this port say it is any client: list the balancers in front of Kodiak"),
                ConfigLoader.parse(listener("proxy-protocol: true", "proxy-protocol-from: [0.0.0.0/0]"), FILE).warnings());
        assertEquals(List.of(), ConfigLoader.parse(listener("proxy-protocol: true", "proxy-protocol-from: [10.0.0.0/8]"),
                FILE).warnings());
        assertEquals(List.of(), ConfigLoader.parse(listener("proxy-protocol: false"), FILE).warnings());
    }
}
