package io.kodiak.proxy;

import io.kodiak.config.ClientLimits;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.testing.ScriptedUpstream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * {@code limits.max-connections-per-address} over real sockets: clients from 127.0.0.1 and
 * 127.0.0.2 (both loopback on Linux) count apart; one over its cap is closed at once without an
 * answer while the other is served; a freed place is reused; a reload turns the cap on and off;
 * behind the PROXY protocol the header's address counts, not the proxy's (the proxy's when the header
 * names none), and an IPv4-mapped address is its IPv4 address.
 */
@Timeout(60)
class PerAddressLimitTest {
    private static final ClientLimits CAP_2 = ClientLimits.DEFAULTS.withMaxConnectionsPerAddress(2);

    @Test
    void anAddressOverItsCapIsRefusedWhileAnotherIsServed() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("u");
             ProxyServer server = ProxyServer.start(ProxyConfig.to(up).limits(CAP_2).build());
             RawClient first = from("127.0.0.1", server);
             RawClient second = from("127.0.0.1", server)) {
            assertEquals(200, first.get("/1").status());
            assertEquals(200, second.get("/2").status());

            try (RawClient third = from("127.0.0.1", server)) {
                assertRefused(third);
            }
            try (RawClient other = from("127.0.0.2", server)) {
                assertEquals(200, other.get("/other").status(), "another address has places of its own");
            }
            assertEquals(3, up.requestsReceived(), "the refused connection's request never reached the upstream");

            first.close();
            // The place frees once Kodiak has seen the close; until then a new connection is cut.
            Conditions.await("a freed place admits a new connection", () -> served(server), Duration.ofSeconds(10));
        }
    }

    @Test
    void aReloadTurnsTheCapOnAndOff() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("u");
             ProxyServer server = ProxyServer.start(ProxyConfig.to(up).build());
             RawClient a = from("127.0.0.1", server);
             RawClient b = from("127.0.0.1", server);
             RawClient c = from("127.0.0.1", server)) {
            for (RawClient x : new RawClient[] {a, b, c}) {
                assertEquals(200, x.get("/").status(), "no cap by default");
            }
            server.reload(ProxyConfig.to(up).limits(CAP_2).build());
            // Connections opened before the cap hold no place in its table: the two after it do.
            // One at a time: accepts run on the selector threads, in no set order.
            try (RawClient d = from("127.0.0.1", server)) {
                assertEquals(200, d.get("/").status());
                try (RawClient e = from("127.0.0.1", server)) {
                    assertEquals(200, e.get("/").status());
                    try (RawClient f = from("127.0.0.1", server)) {
                        assertRefused(f);
                    }
                }
            }
            server.reload(ProxyConfig.to(up).build());
            try (RawClient g = from("127.0.0.1", server)) {
                assertEquals(200, g.get("/").status(), "the cap is off again");
            }
        }
    }

    @Test
    void behindThePROXYProtocolTheCapCountsTheAddressTheProxyNames(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("u")) {
            try (ProxyServer server = proxyProtocolCap1(dir, up);
                 RawClient first = from("127.0.0.1", server);
                 RawClient second = from("127.0.0.1", server)) {
                // Every connection comes from the proxy (127.0.0.1): only the header's address counts.
                first.send("PROXY TCP4 192.0.2.7 127.0.0.1 40000 80\r\n");
                assertEquals(200, first.get("/").status());
                second.send("PROXY TCP4 192.0.2.8 127.0.0.1 40001 80\r\n");
                assertEquals(200, second.get("/").status(), "another client behind the same proxy");
                try (RawClient third = from("127.0.0.1", server)) {
                    third.send("PROXY TCP4 192.0.2.7 127.0.0.1 40002 80\r\n");
                    assertRefused(third);
                }
                assertEquals(2, up.requestsReceived());
            }
        }
    }

    @Test
    void behindThePROXYProtocolAHeaderWithoutAnAddressCountsTheTcpPeer(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("u");
             ProxyServer server = proxyProtocolCap1(dir, up);
             RawClient unknown = from("127.0.0.2", server)) {
            unknown.send("PROXY UNKNOWN\r\n");
            assertEquals(200, unknown.get("/").status(), "UNKNOWN keeps the TCP peer, 127.0.0.2, which takes the place");
            try (RawClient local = from("127.0.0.2", server)) {
                // v2 LOCAL (a balancer's health check): the TCP peer again, now over its cap.
                local.send(ProxyProtocolHeaderTest.v2(0x20, 0x00, new byte[0]));
                assertRefused(local);
            }
            try (RawClient again = from("127.0.0.2", server)) {
                again.send("PROXY UNKNOWN\r\n");
                assertRefused(again);
            }
            try (RawClient named = from("127.0.0.2", server)) {
                named.send("PROXY TCP4 192.0.2.7 127.0.0.1 40000 80\r\n");
                assertEquals(200, named.get("/").status(), "a header naming a client counts that client, not the peer");
            }
            assertEquals(2, up.requestsReceived());
        }
    }

    @Test
    void anIpv4MappedAddressCountsAsItsIpv4Address(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("u");
             ProxyServer server = proxyProtocolCap1(dir, up);
             RawClient v4 = from("127.0.0.1", server)) {
            v4.send("PROXY TCP4 192.0.2.7 127.0.0.1 40000 80\r\n");
            assertEquals(200, v4.get("/").status());
            try (RawClient mapped = from("127.0.0.1", server)) {
                mapped.send("PROXY TCP6 ::ffff:192.0.2.7 ::1 40001 80\r\n");
                assertRefused(mapped); // the same client, written the IPv6 way
            }
            try (RawClient mappedV2 = from("127.0.0.1", server)) {
                byte[] block = new byte[36]; // source ::ffff:192.0.2.7, destination ::1, ports 40002 and 80
                block[10] = (byte) 0xff;
                block[11] = (byte) 0xff;
                block[12] = (byte) 192;
                block[14] = 2;
                block[15] = 7;
                block[31] = 1;
                block[32] = (byte) (40002 >> 8);
                block[33] = (byte) 40002;
                block[35] = 80;
                mappedV2.send(ProxyProtocolHeaderTest.v2(0x21, 0x21, block));
                assertRefused(mappedV2);
            }
            assertEquals(1, up.requestsReceived());
        }
    }

    /** A PROXY protocol listener whose cap is one connection per address. */
    private static ProxyServer proxyProtocolCap1(java.nio.file.Path dir, ScriptedUpstream up) throws Exception {
        java.nio.file.Path file = dir.resolve("kodiak.yaml");
        java.nio.file.Files.writeString(file, "admin: {listen: off, state-file: off}\nmetrics: off\n"
                + "listeners:\n  - name: test\n    address: 127.0.0.1:0\n    proxy-protocol: true\n"
                + "    limits: {max-connections-per-address: 1}\n"
                + "pools:\n  app: {health-check: {type: none}, upstreams: [{name: u, address: \"" + up.hostPort() + "\"}]}\n");
        return ProxyServer.start(io.kodiak.config.ConfigLoader.load(file));
    }

    /** Whether a new connection from 127.0.0.1 is served (false while Kodiak holds the place). */
    private static boolean served(ProxyServer server) {
        try (RawClient next = from("127.0.0.1", server)) {
            RawResponse r = next.get("/again");
            return r.status() == 200;
        } catch (IOException cutWhileTheCloseIsPending) {
            return false;
        }
    }

    private static void assertRefused(RawClient c) throws IOException {
        RawClient.Closure closure;
        try {
            c.send("GET /refused HTTP/1.1\r\nHost: x\r\n\r\n");
            closure = c.awaitClose();
        } catch (IOException alreadyReset) {
            closure = RawClient.Closure.RESET;
        }
        assertNotEquals(RawClient.Closure.DATA, closure, "a connection over the cap must get no response");
        assertNotEquals(RawClient.Closure.TIMED_OUT, closure, "a connection over the cap must be closed at once");
    }

    /** A connection to the listener from {@code source} (a loopback address). */
    private static RawClient from(String source, ProxyServer server) throws IOException {
        Socket s = new Socket();
        try {
            s.bind(new InetSocketAddress(InetAddress.getByName(source), 0));
            s.connect(new InetSocketAddress(InetAddress.getByName("127.0.0.1"),
                    server.boundAddress(ProxyConfig.LISTENER).getPort()), 5_000);
            s.setSoTimeout(10_000);
            return RawClient.over(s);
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }
}
