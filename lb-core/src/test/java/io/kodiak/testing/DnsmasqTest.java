package io.kodiak.testing;

import org.junit.jupiter.api.Test;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The fixture does what its Javadoc promises: the DNS tests of issue 18 build on each of these. */
class DnsmasqTest {

    @Test
    void answersFollowsHostsAndRestartsWithNewSrvOnTheSamePort() throws Exception {
        try (Dnsmasq dns = Dnsmasq.builder().hosts(Map.of("app.test", List.of("127.0.0.2", "::1")))
                .srv(new Dnsmasq.Srv("_http._tcp.app.test", "app.test", 8001, 10, 60)).start()) {
            assertEquals(Set.of("127.0.0.2", "0:0:0:0:0:0:0:1"), dns.addresses("app.test"));
            assertEquals(Rcode.NXDOMAIN, dns.query("nothing.test", Type.A).getRcode(), "--local=/test/");
            assertEquals(Rcode.REFUSED, dns.query("example.com", Type.A).getRcode(), "--no-resolv");
            Message a = dns.query("app.test", Type.A);
            assertEquals(1L, a.getSection(Section.ANSWER).get(0).getTTL(), "--local-ttl=1");

            dns.setHosts(Map.of("app.test", List.of("127.0.0.3", "127.0.0.4")));
            dns.awaitAddresses("app.test", Set.of("127.0.0.3", "127.0.0.4"), Duration.ofSeconds(10));

            int port = dns.port();
            dns.restart(List.of(new Dnsmasq.Srv("_http._tcp.app.test", "app.test", 8002, 5, 7)));
            assertEquals(port, dns.port());
            SRVRecord srv = (SRVRecord) dns.query("_http._tcp.app.test", Type.SRV).getSection(Section.ANSWER).get(0);
            assertEquals(8002, srv.getPort());
            assertEquals(7, srv.getWeight());
            assertEquals(Set.of("127.0.0.3", "127.0.0.4"), dns.addresses("app.test"), "hosts kept over a restart");

            dns.stop();
            assertFalse(dns.isRunning());
            assertThrows(IOException.class, () -> dns.query("app.test", Type.A));
            dns.restart();
            assertTrue(dns.isRunning());
            dns.waitUntilAnswers("app.test");
            assertTrue(dns.logLines().stream().anyMatch(l -> l.contains("query[A] app.test")), "queries logged");
        }
    }
}
