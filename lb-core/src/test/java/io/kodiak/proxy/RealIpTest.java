package io.kodiak.proxy;

import io.kodiak.config.Cidr;
import io.kodiak.config.RealIpConfig;
import io.kodiak.http.HeadParser;
import io.kodiak.http.RequestHead;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * nginx's realip semantics ({@code ngx_http_get_forwarded_addr}) on request heads: whom it
 * believes, which entry it takes with and without {@code recursive}, and where it stops.
 */
class RealIpTest {
    private static final ClientAddress LB = ClientAddress.of(IpLiteral.parse("10.0.0.5"), 40000);
    private static final ClientAddress STRANGER = ClientAddress.of(IpLiteral.parse("198.51.100.20"), 40000);

    private static RealIpConfig config(boolean recursive, String header, String... from) {
        return new RealIpConfig(Arrays.stream(from).map(Cidr::parse).toList(), header, recursive);
    }

    private static RealIpConfig trusting(boolean recursive, String... from) {
        return config(recursive, RealIpConfig.DEFAULT_HEADER, from);
    }

    private static RequestHead head(String... fields) throws Exception {
        String text = "GET / HTTP/1.1\r\nHost: t\r\n" + String.join("", Arrays.stream(fields).map(f -> f + "\r\n").toList()) + "\r\n";
        return HeadParser.parseRequest(text.getBytes(StandardCharsets.ISO_8859_1), 100);
    }

    private static ClientAddress resolve(RealIpConfig c, RequestHead head, ClientAddress peer) {
        return RealIp.resolve(c, head, peer, peer.distrust());
    }

    private static String ip(RealIpConfig c, ClientAddress peer, String... fields) throws Exception {
        return resolve(c, head(fields), peer).ip();
    }

    @Test
    void withoutRecursiveTheLastAddressIsTheClientWhateverItIs() throws Exception {
        RealIpConfig c = trusting(false, "10.0.0.0/8");
        assertEquals("203.0.113.9", ip(c, LB, "X-Forwarded-For: 203.0.113.9"));
        assertEquals("10.0.0.7", ip(c, LB, "X-Forwarded-For: 203.0.113.9, 10.0.0.7")); // trusted or not: the last
        assertEquals("203.0.113.9", ip(c, LB, "X-Forwarded-For: 1.1.1.1,  203.0.113.9 , "));
    }

    @Test
    void recursiveTakesTheRightmostAddressNotTrustedAndIgnoresWhatIsLeftOfIt() throws Exception {
        RealIpConfig c = trusting(true, "10.0.0.0/8", "192.168.0.0/16");
        // A client spoofing entries left of the trusted chain gets none of them believed.
        assertEquals("203.0.113.9", ip(c, LB, "X-Forwarded-For: 6.6.6.6, 7.7.7.7, 203.0.113.9, 192.168.1.1, 10.0.0.7"));
        // Every entry trusted: the leftmost, as nginx.
        assertEquals("10.0.0.1", ip(c, LB, "X-Forwarded-For: 10.0.0.1, 10.0.0.2"));
        // Several lines are one list in order.
        assertEquals("203.0.113.9", ip(c, LB, "X-Forwarded-For: 6.6.6.6, 203.0.113.9", "X-Forwarded-For: 192.168.1.1"));
    }

    @Test
    void aPeerNotTrustedKeepsItsAddressAndIsMarkedSoItsClaimsAreDropped() throws Exception {
        RealIpConfig c = trusting(true, "10.0.0.0/8");
        ClientAddress a = resolve(c, head("X-Forwarded-For: 203.0.113.9"), STRANGER);
        assertEquals("198.51.100.20", a.ip());
        assertEquals(40000, a.port());
        assertTrue(a.distrusted());
        assertFalse(resolve(c, head("X-Forwarded-For: 203.0.113.9"), LB).distrusted());
    }

    @Test
    void noHeaderOrAnInvalidEntryStopsTheWalk() throws Exception {
        RealIpConfig c = trusting(true, "10.0.0.0/8");
        ClientAddress none = resolve(c, head(), LB);
        assertSame(LB, none);
        assertEquals("10.0.0.5", ip(c, LB, "X-Forwarded-For: unknown"));
        assertEquals("10.0.0.9", ip(c, LB, "X-Forwarded-For: 203.0.113.9, evil.example, 10.0.0.9")); // the last address found
        assertEquals("10.0.0.5", ip(c, LB, "X-Forwarded-For: 203.0.113.9, 01.2.3.4"));
        assertEquals("10.0.0.5", ip(c, LB, "X-Forwarded-For: ,, "));
    }

    @Test
    void ipv6AndPortsAreRead() throws Exception {
        RealIpConfig c = config(true, RealIpConfig.DEFAULT_HEADER, "10.0.0.0/8", "2001:db8:ffff::/48");
        ClientAddress a = resolve(c, head("X-Forwarded-For: [2001:db8::9]:4711, 2001:db8:ffff::1"), LB);
        assertEquals(IpLiteral.text(IpLiteral.parse("2001:db8::9")), a.ip());
        assertEquals(4711, a.port());
        a = resolve(c, head("X-Forwarded-For: 203.0.113.9:5000"), LB);
        assertEquals("203.0.113.9", a.ip());
        assertEquals(5000, a.port());
        assertEquals(-1, resolve(c, head("X-Forwarded-For: 203.0.113.9"), LB).port()); // unknown, as nginx
        // An IPv6 peer, trusted by an IPv6 range.
        ClientAddress v6peer = ClientAddress.of(IpLiteral.parse("2001:db8:ffff::2"), 1);
        assertEquals("203.0.113.9", ip(c, v6peer, "X-Forwarded-For: 203.0.113.9"));
        assertEquals("10.0.0.5", ip(c, LB, "X-Forwarded-For: 2001:db8::9:99999"));
    }

    @Test
    void anIpv4MappedEntryIsItsIpv4AddressAsASocketsWouldBe() throws Exception {
        // Java reports a dual-stack socket's IPv4 peer as IPv4: a header's ::ffff:a.b.c.d must be
        // the same client (one place under max-connections-per-address, one key for hashing).
        RealIpConfig c = trusting(false, "10.0.0.0/8");
        ClientAddress a = resolve(c, head("X-Forwarded-For: ::ffff:203.0.113.9"), LB);
        assertEquals("203.0.113.9", a.ip());
        assertEquals(4, a.bytes().length);
        assertEquals("203.0.113.9", resolve(c, head("X-Forwarded-For: [::ffff:203.0.113.9]:80"), LB).ip());
        assertEquals(4, ClientAddress.of(IpLiteral.parse("::ffff:10.0.0.1"), 1).bytes().length);
        assertEquals(16, ClientAddress.of(IpLiteral.parse("::10.0.0.1"), 1).bytes().length); // compatible, not mapped
    }

    @Test
    void anotherHeaderIsReadTheSameWay() throws Exception {
        RealIpConfig c = config(false, "X-Real-IP", "10.0.0.0/8");
        assertEquals("203.0.113.9", ip(c, LB, "X-Forwarded-For: 6.6.6.6", "X-Real-IP: 203.0.113.9"));
        assertEquals("203.0.113.9", ip(c, LB, "x-real-ip: 6.6.6.6", "X-REAL-IP: 203.0.113.9")); // the last line
    }

    @Test
    void dropClaimsRemovesTheForwardingFieldsAndTheConfiguredOne() {
        var e = RealIp.dropClaims(null, config(false, "CF-Connecting-IP", "10.0.0.0/8"));
        String removed = e.toString().toLowerCase(java.util.Locale.ROOT);
        for (String name : List.of("x-forwarded-for", "forwarded", "cf-connecting-ip")) {
            assertTrue(removed.contains(name), removed);
        }
    }
}
