package io.kodiak.discovery.dns;

import io.kodiak.discovery.DnsSettings;
import io.kodiak.discovery.Endpoint;
import io.kodiak.discovery.EndpointSet;
import io.kodiak.discovery.SourceStatus;
import io.kodiak.discovery.Watch;
import io.kodiak.testing.Dnsmasq;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Type;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The resolver and the watch against a real dnsmasq (see {@link Dnsmasq} for what each of its
 * behaviours comes from), on real time: every wait polls with a deadline, nothing asserts on how
 * long something took.
 */
class DnsWatchDnsmasqTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "kodiak-discovery-test");
        t.setDaemon(true);
        return t;
    });
    private final List<EndpointSet> sets = new ArrayList<>(); // guarded by itself
    private final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
        scheduler.shutdownNow();
        scheduler.awaitTermination(10, TimeUnit.SECONDS);
    }

    /** Quick to give up and to come back: 300 ms per query, one attempt, TTLs within 1..2 s, hold-nx 1 s. */
    private static DnsSettings settings(List<InetSocketAddress> nameservers) {
        return new DnsSettings("test", nameservers, Duration.ofMillis(300), 1, Duration.ofSeconds(1), Duration.ofSeconds(2),
                null, Duration.ofSeconds(1), Duration.ZERO, true, true);
    }

    private Dnsmasq dnsmasq(Dnsmasq.Builder b) throws Exception {
        Dnsmasq d = b.start();
        closing.add(d);
        return d;
    }

    private Watch watch(Dnsmasq d, String host, int port, boolean srv) {
        Watch w = DnsWatch.start(settings(List.of(d.address())), host, port, srv, set -> {
            synchronized (sets) {
                sets.add(set);
                sets.notifyAll();
            }
        }, scheduler, System::currentTimeMillis);
        closing.add(0, w);
        return w;
    }

    private EndpointSet await(String what, Predicate<EndpointSet> condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        synchronized (sets) {
            while (true) {
                if (!sets.isEmpty() && condition.test(sets.get(sets.size() - 1))) {
                    return sets.get(sets.size() - 1);
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("no set " + what + " within " + WAIT + "; sets: " + sets);
                }
                TimeUnit.NANOSECONDS.timedWait(sets, left);
            }
        }
    }

    private static List<String> addresses(EndpointSet set) {
        return set.endpoints().stream().map(Endpoint::addressText).toList();
    }

    private DnsAnswer ask(DnsResolver resolver, String name, int type) throws Exception {
        return resolver.query(name, type).toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    @Test
    void resolverClassifiesEveryAnswerDnsmasqGives() throws Exception {
        Dnsmasq d = dnsmasq(Dnsmasq.builder().ttl(7)
                .hosts(Map.of("app.test", List.of("127.0.0.2", "fd00::5"), "a1.test", List.of("127.0.0.4")))
                .srv(new Dnsmasq.Srv("_http._tcp.app.test", "a1.test", 8001, 10, 60)));
        DnsResolver resolver = DnsjavaResolver.of(settings(List.of(d.address())), scheduler);

        DnsAnswer a = ask(resolver, "app.test", Type.A);
        assertEquals(DnsResult.OK, a.result());
        assertEquals(1, a.records().size());
        assertEquals(7, a.records().get(0).getTTL(), "the TTL of each record");
        assertEquals(DnsResult.OK, ask(resolver, "app.test", Type.AAAA).result());

        DnsAnswer srv = ask(resolver, "_http._tcp.app.test", Type.SRV);
        assertEquals(DnsResult.OK, srv.result());
        SRVRecord r = (SRVRecord) srv.records().get(0);
        assertEquals(List.of(8001, 10, 60, "a1.test."), List.of(r.getPort(), r.getPriority(), r.getWeight(), r.getTarget().toString()));

        assertEquals(DnsResult.NX, ask(resolver, "missing.test", Type.A).result(), "--local=/test/");
        assertEquals(DnsResult.EMPTY, ask(resolver, "a1.test", Type.AAAA).result(), "a name with A but no AAAA");
        DnsAnswer refused = ask(resolver, "example.com", Type.A);
        assertEquals(DnsResult.REFUSED, refused.result(), "--no-resolv outside test");
        assertTrue(refused.detail().contains("REFUSED"), refused.detail());
    }

    @Test
    void aSilentNameserverTimesOutAndTheNextOneAnswers() throws Exception {
        Dnsmasq d = dnsmasq(Dnsmasq.builder().hosts(Map.of("app.test", List.of("127.0.0.2"))));
        try (DatagramSocket silent = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            InetSocketAddress nowhere = (InetSocketAddress) silent.getLocalSocketAddress();
            DnsAnswer lost = ask(DnsjavaResolver.of(settings(List.of(nowhere)), scheduler), "app.test", Type.A);
            assertEquals(DnsResult.TIMEOUT, lost.result(), lost.detail());
            assertTrue(lost.detail().contains(String.valueOf(nowhere.getPort())), lost.detail());

            DnsAnswer found = ask(DnsjavaResolver.of(settings(List.of(nowhere, d.address())), scheduler), "app.test", Type.A);
            assertEquals(DnsResult.OK, found.result(), "the second nameserver answers after the first timed out");
        }
    }

    @Test
    void watchFollowsHostsChangesOnTheTtlAndHoldsWhileTheServerIsGone() throws Exception {
        Dnsmasq d = dnsmasq(Dnsmasq.builder().hosts(Map.of("app.test", List.of("127.0.0.2", "127.0.0.3"))));
        Watch w = watch(d, "app.test", 8000, false);
        await("with the first two", s -> addresses(s).equals(List.of("127.0.0.2:8000", "127.0.0.3:8000")));

        d.setHosts(Map.of("app.test", List.of("127.0.0.3", "127.0.0.4", "fd00::7")));
        await("after the change (TTL 1 s)", s -> addresses(s).equals(List.of("127.0.0.3:8000", "127.0.0.4:8000", "[fd00::7]:8000")));
        assertTrue(w.status().results().get("ok") >= 2, w.status().toString());

        d.stop();
        EndpointSet held = await("held and stale", EndpointSet::stale);
        assertEquals(3, held.endpoints().size(), "the last good set is kept");
        // On loopback a stopped server is an ICMP port unreachable: an error, held like a timeout.
        assertTrue(held.error().contains("no DNS server listening at"), held.error());
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (w.status().results().get("error") < 2 && System.nanoTime() < deadline) {
            Thread.sleep(50); // polled: retries come on the backoff (1 s, then max-ttl 2 s)
        }
        SourceStatus s = w.status();
        assertTrue(s.results().get("error") >= 2, s.toString());
        assertTrue(s.stale());
        assertEquals(3, s.addresses());

        d.restart();
        EndpointSet back = await("fresh again", set -> !set.stale());
        assertEquals(3, back.endpoints().size());
        assertFalse(w.status().stale());
    }

    @Test
    void nxdomainEmptiesTheSetAfterHoldNx() throws Exception {
        Dnsmasq d = dnsmasq(Dnsmasq.builder().hosts(Map.of("app.test", List.of("127.0.0.2"), "other.test", List.of("127.0.0.9"))));
        watch(d, "app.test", 8000, false);
        await("first", s -> s.endpoints().size() == 1);
        d.setHosts(Map.of("other.test", List.of("127.0.0.9")));
        await("held through NXDOMAIN", s -> s.stale() && s.endpoints().size() == 1 && s.error().contains("NXDOMAIN"));
        await("empty after hold-nx (1 s)", s -> s.endpoints().isEmpty() && !s.stale());
    }

    @Test
    void srvTargetsAndAWeightChangeByRestart() throws Exception {
        Dnsmasq d = dnsmasq(Dnsmasq.builder().hosts(Map.of("a1.test", List.of("127.0.0.4"), "a2.test", List.of("127.0.0.5")))
                .srv(new Dnsmasq.Srv("_http._tcp.app.test", "a1.test", 8001, 10, 50))
                .srv(new Dnsmasq.Srv("_http._tcp.app.test", "a2.test", 8002, 10, 50))
                .srv(new Dnsmasq.Srv("_http._tcp.app.test", "a2.test", 8003, 20, 0)));
        watch(d, "_http._tcp.app.test", 0, true);
        EndpointSet first = await("three endpoints", s -> s.endpoints().size() == 3);
        assertEquals(List.of("127.0.0.4:8001 w1000 p10 a1.test", "127.0.0.5:8002 w1000 p10 a2.test", "127.0.0.5:8003 w1 p20 a2.test"),
                first.endpoints().stream().map(e -> e.addressText() + " w" + e.weight() + " p" + e.priority() + " " + e.host()).toList());

        d.restart(List.of(new Dnsmasq.Srv("_http._tcp.app.test", "a1.test", 8001, 10, 30),
                new Dnsmasq.Srv("_http._tcp.app.test", "a2.test", 8002, 10, 10)));
        EndpointSet reweighted = await("3:1", s -> s.endpoints().size() == 2 && !s.stale());
        assertEquals(List.of(1000, 333), reweighted.endpoints().stream().map(Endpoint::weight).toList());
    }

    @Test
    void aLargeAnswerComesOverTcpAndIsCutTo512() throws Exception {
        // 2,000 A records: too many for UDP (TC set), 32 KB over TCP. (10,000 would not fit the 64 KB
        // of a TCP message: dnsmasq truncates it even there, an error held like a timeout.)
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 2_000; i++) {
            many.add("10." + (i >> 16) + "." + ((i >> 8) & 255) + "." + (i & 255));
        }
        Dnsmasq d = dnsmasq(Dnsmasq.builder().hosts(Map.of("big.test", many)));
        Watch w = watch(d, "big.test", 8000, false);
        EndpointSet set = await("cut to the bound", s -> !s.endpoints().isEmpty());
        assertEquals(DnsLookup.MAX_ADDRESSES, set.endpoints().size());
        assertEquals("10.0.0.0:8000", set.endpoints().get(0).addressText(), "the first by address are kept");
        assertEquals(DnsLookup.MAX_ADDRESSES, w.status().addresses());
    }
}
