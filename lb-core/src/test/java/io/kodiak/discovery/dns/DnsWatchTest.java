package io.kodiak.discovery.dns;

import io.kodiak.discovery.DnsSettings;
import io.kodiak.discovery.Endpoint;
import io.kodiak.discovery.EndpointSet;
import io.kodiak.discovery.SourceStatus;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The semantics of a DNS source on virtual time, with a resolver whose answers the test sets:
 * every delay is read off the fake scheduler, no real time passes.
 */
class DnsWatchTest {
    private static final long START_MS = 1_700_000_000_000L;
    private static final String HOST = "app.test";

    private final FakeScheduler scheduler = new FakeScheduler();
    private final FakeResolver dns = new FakeResolver();
    private final List<EndpointSet> sets = new ArrayList<>();

    private static DnsSettings settings(Duration maxTtl, Duration valid, Duration holdNx, Duration holdObsolete) {
        return new DnsSettings("test", List.of(), Duration.ofSeconds(2), 2, Duration.ofSeconds(1), maxTtl, valid, holdNx,
                holdObsolete, true, true);
    }

    private static final DnsSettings DEFAULTS = DnsSettings.DEFAULTS;

    private DnsWatch watch(DnsSettings s, boolean srv, double jitterDraw) {
        Random fixed = new Random() {
            @Override
            public double nextDouble() {
                return jitterDraw;
            }
        };
        return DnsWatch.start(s, srv ? "_http._tcp." + HOST : HOST, 8000, srv, sets::add, scheduler,
                () -> START_MS + scheduler.getAsLong() / 1_000_000, dns, fixed);
    }

    private DnsWatch watch(DnsSettings s) {
        return watch(s, false, 0.5);
    }

    private static List<String> addresses(EndpointSet set) {
        return set.endpoints().stream().map(Endpoint::addressText).toList();
    }

    private EndpointSet last() {
        return sets.get(sets.size() - 1);
    }

    /** The delay of the one pending resolution. */
    private Duration nextDelay() {
        List<Duration> pending = scheduler.pendingDelays();
        assertEquals(1, pending.size(), "one resolution scheduled: " + pending);
        return pending.get(0);
    }

    @Test
    void firstAnswerIsTheSetBothFamiliesSortedAtThePort() {
        dns.a(HOST, 60, "10.0.0.9", "10.0.0.5").aaaa(HOST, 60, "fd00::5");
        watch(DEFAULTS);
        scheduler.runDue();
        assertEquals(1, sets.size());
        assertEquals(List.of("10.0.0.5:8000", "10.0.0.9:8000", "[fd00::5]:8000"), addresses(last()));
        Endpoint e = last().endpoints().get(0);
        assertEquals(HOST, e.host());
        assertEquals(0, e.weight(), "A/AAAA give no weight: the entry's applies");
        assertEquals("/10.0.0.5", e.address().toString(), "a literal, no host name attached");
        assertFalse(last().stale());
        assertEquals(1, dns.count(HOST, Type.A));
        assertEquals(1, dns.count(HOST, Type.AAAA));
    }

    @Test
    void ttlIsClampedToMinAndMaxTtlWithTenPercentJitter() {
        dns.a(HOST, 60, "10.0.0.5");
        watch(DEFAULTS, false, 0.0);
        scheduler.runDue();
        assertEquals(Duration.ofSeconds(54), nextDelay(), "60 s - 10 %");

        dns.a(HOST, 0, "10.0.0.5");
        scheduler.advance(Duration.ofSeconds(54));
        assertEquals(Duration.ofMillis(900), nextDelay(), "TTL 0 raised to min-ttl 1 s, - 10 %");

        dns.a(HOST, 86_400, "10.0.0.5");
        scheduler.advance(Duration.ofMillis(900));
        assertEquals(Duration.ofSeconds(270), nextDelay(), "a day lowered to max-ttl 300 s, - 10 %");
    }

    @Test
    void jitterUpperBoundIsTenPercent() {
        dns.a(HOST, 60, "10.0.0.5");
        watch(DEFAULTS, false, 0.999_999);
        scheduler.runDue();
        assertEquals(Duration.ofSeconds(66), nextDelay());
    }

    @Test
    void validOverridesTheTtl() {
        dns.a(HOST, 600, "10.0.0.5");
        watch(settings(Duration.ofSeconds(300), Duration.ofSeconds(5), Duration.ofSeconds(30), Duration.ZERO));
        scheduler.runDue();
        assertEquals(Duration.ofSeconds(5), nextDelay());
    }

    @Test
    void emitsOnlyWhenTheSetChanges() {
        dns.a(HOST, 1, "10.0.0.5").aaaa(HOST, 1);
        dns.answer(HOST, Type.AAAA, DnsAnswer.of(DnsResult.EMPTY, "no AAAA"));
        watch(DEFAULTS);
        scheduler.advance(Duration.ofSeconds(10));
        assertEquals(1, sets.size(), "ten same answers, one set");
        assertTrue(dns.count(HOST, Type.A) >= 9, "asked every second: " + dns.asked.size());

        dns.a(HOST, 1, "10.0.0.5", "10.0.0.6");
        scheduler.advance(Duration.ofSeconds(2));
        assertEquals(2, sets.size());
        assertEquals(List.of("10.0.0.5:8000", "10.0.0.6:8000"), addresses(last()));
    }

    @Test
    void failuresKeepTheLastSetForEverWithBackoffCappedAtMaxTtl() {
        dns.a(HOST, 1, "10.0.0.5").aaaa(HOST, 1, "fd00::5");
        watch(settings(Duration.ofSeconds(5), null, Duration.ofSeconds(30), Duration.ZERO));
        scheduler.runDue();
        assertEquals(1, sets.size());

        dns.answer(HOST, Type.A, DnsAnswer.of(DnsResult.TIMEOUT, "timeout at 127.0.0.1:53"));
        dns.answer(HOST, Type.AAAA, DnsAnswer.of(DnsResult.SERVFAIL, "SERVFAIL from 127.0.0.1:53"));
        List<Duration> delays = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            scheduler.advance(nextDelay());
            delays.add(nextDelay());
        }
        assertEquals(List.of(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4), Duration.ofSeconds(5),
                Duration.ofSeconds(5), Duration.ofSeconds(5)), delays, "1, 2, 4 s, then max-ttl");
        assertEquals(2, sets.size(), "one more set: the same addresses, now stale");
        assertTrue(last().stale());
        assertEquals(List.of("10.0.0.5:8000", "[fd00::5]:8000"), addresses(last()));
        assertTrue(last().error().contains("127.0.0.1:53"), last().error());

        dns.answer(HOST, Type.A, DnsAnswer.of(DnsResult.REFUSED, "REFUSED from 127.0.0.1:53"));
        dns.answer(HOST, Type.AAAA, DnsAnswer.of(DnsResult.REFUSED, "REFUSED from 127.0.0.1:53"));
        scheduler.advance(Duration.ofMinutes(10));
        assertEquals(2, sets.size(), "REFUSED holds too, for ever");

        dns.a(HOST, 1, "10.0.0.5").aaaa(HOST, 1, "fd00::5");
        scheduler.advance(nextDelay());
        assertEquals(3, sets.size());
        assertFalse(last().stale(), "recovered");
        assertNull(last().error());
        assertEquals(Duration.ofSeconds(1), nextDelay(), "back on the TTL");
    }

    @Test
    void failureBeforeTheFirstAnswerEmitsNothingAndStatusSaysWhy() {
        dns.answer(HOST, Type.A, DnsAnswer.of(DnsResult.TIMEOUT, "timeout at 127.0.0.1:53"));
        dns.answer(HOST, Type.AAAA, DnsAnswer.of(DnsResult.TIMEOUT, "timeout at 127.0.0.1:53"));
        DnsWatch w = watch(DEFAULTS);
        scheduler.advance(Duration.ofSeconds(4));
        assertTrue(sets.isEmpty());
        SourceStatus s = w.status();
        assertEquals(0, s.addresses());
        assertEquals(0, s.lastSuccessMillis());
        assertTrue(s.lastError().contains("timeout"), s.lastError());
        assertEquals(3L, s.results().get("timeout"), "at 0, 1 and 3 s: " + s.results());
        assertEquals(START_MS + 7_000, s.nextRefreshMillis(), "then 4 s later");

        dns.a(HOST, 30, "10.0.0.5");
        dns.answer(HOST, Type.AAAA, DnsAnswer.of(DnsResult.EMPTY, "no AAAA"));
        scheduler.advance(Duration.ofSeconds(3));
        assertEquals(1, sets.size());
        s = w.status();
        assertEquals(1, s.addresses());
        assertEquals(START_MS + 7_000, s.lastSuccessMillis());
        assertEquals(1L, s.results().get("ok"));
        assertEquals(0L, s.results().get("servfail"), "every result has a counter");
    }

    @Test
    void nxdomainKeepsTheSetForHoldNxThenEmptiesIt() {
        dns.a(HOST, 1, "10.0.0.5").aaaa(HOST, 1);
        dns.answer(HOST, Type.AAAA, DnsAnswer.of(DnsResult.EMPTY, "no AAAA"));
        watch(settings(Duration.ofSeconds(300), null, Duration.ofSeconds(30), Duration.ZERO));
        scheduler.runDue();
        dns.answer(HOST, Type.A, new DnsAnswer(DnsResult.NX, List.of(), List.of(), 3600, "NXDOMAIN for app.test."));
        dns.answer(HOST, Type.AAAA, new DnsAnswer(DnsResult.NX, List.of(), List.of(), 3600, "NXDOMAIN for app.test."));
        scheduler.advance(Duration.ofSeconds(1));
        assertEquals(2, sets.size());
        assertTrue(last().stale(), "held");
        assertEquals(List.of("10.0.0.5:8000"), addresses(last()));
        assertEquals(Duration.ofSeconds(30), nextDelay(), "negative TTL 3600 s, but asked again when the hold ends");

        scheduler.advance(Duration.ofSeconds(30));
        assertEquals(3, sets.size());
        assertEquals(List.of(), addresses(last()), "hold-nx over");
        assertFalse(last().stale());

        scheduler.advance(Duration.ofMinutes(20));
        assertEquals(3, sets.size(), "empty stays empty");
        dns.a(HOST, 1, "10.0.0.7");
        scheduler.advance(Duration.ofMinutes(10));
        assertEquals(List.of("10.0.0.7:8000"), addresses(last()), "the name is back");
    }

    @Test
    void holdNxForeverNeverEmpties() {
        dns.a(HOST, 1, "10.0.0.5");
        watch(settings(Duration.ofSeconds(300), null, null, Duration.ZERO));
        scheduler.runDue();
        dns.answer(HOST, Type.A, DnsAnswer.of(DnsResult.NX, "NXDOMAIN"));
        scheduler.advance(Duration.ofHours(2));
        assertEquals(2, sets.size());
        assertTrue(last().stale());
        assertEquals(List.of("10.0.0.5:8000"), addresses(last()));
    }

    @Test
    void nxdomainBeforeTheFirstAnswerEmitsNothing() {
        DnsWatch w = watch(DEFAULTS);
        scheduler.advance(Duration.ofMinutes(2));
        assertTrue(sets.isEmpty());
        assertTrue(w.status().results().get("nx") > 1);
    }

    @Test
    void holdObsoleteKeepsAVanishedAddressThatLong() {
        dns.a(HOST, 60, "10.0.0.5", "10.0.0.6");
        dns.answer(HOST, Type.AAAA, DnsAnswer.of(DnsResult.EMPTY, "no AAAA"));
        watch(settings(Duration.ofSeconds(300), null, Duration.ofSeconds(30), Duration.ofSeconds(10)));
        scheduler.runDue();
        dns.a(HOST, 60, "10.0.0.5");
        scheduler.advance(Duration.ofSeconds(60));
        assertEquals(1, sets.size(), "10.0.0.6 still shown");
        assertEquals(Duration.ofSeconds(10), nextDelay(), "asked again when it is due to go");
        scheduler.advance(Duration.ofSeconds(10));
        assertEquals(2, sets.size());
        assertEquals(List.of("10.0.0.5:8000"), addresses(last()));
        assertFalse(last().stale());
    }

    @Test
    void oneFamilyFailingKeepsItsLastAddressesAndTheOtherIsNews() {
        dns.a(HOST, 1, "10.0.0.5").aaaa(HOST, 1, "fd00::5");
        DnsWatch w = watch(DEFAULTS);
        scheduler.runDue();
        dns.a(HOST, 1, "10.0.0.5", "10.0.0.6");
        dns.answer(HOST, Type.AAAA, DnsAnswer.of(DnsResult.TIMEOUT, "timeout at 127.0.0.1:53"));
        scheduler.advance(Duration.ofSeconds(1));
        assertEquals(List.of("10.0.0.5:8000", "10.0.0.6:8000", "[fd00::5]:8000"), addresses(last()));
        assertFalse(last().stale(), "A answered: a success");
        assertEquals(2L, w.status().results().get("ok"));
    }

    @Test
    void srvKeepsPriorityMapsWeightsPerPriorityAndResolvesTargetsWithoutAdditional() {
        String service = "_http._tcp." + HOST;
        List<Record> srv = List.of(
                FakeResolver.srv(service, 30, 10, 60, 8001, "a1.test"),
                FakeResolver.srv(service, 30, 10, 20, 8002, "a2.test"),
                FakeResolver.srv(service, 30, 10, 0, 8003, "a3.test"),
                FakeResolver.srv(service, 30, 20, 0, 8004, "backup.test"));
        List<Record> additional = new ArrayList<>(FakeResolver.records("a1.test", 30, "10.0.1.1", "10.0.1.2"));
        additional.addAll(FakeResolver.records("a2.test", 30, "10.0.2.1"));
        dns.answer(service, Type.SRV, new DnsAnswer(DnsResult.OK, srv, additional, -1, null));
        dns.a("a3.test", 5, "10.0.3.1").a("backup.test", 30, "10.0.4.1");
        dns.answer("a3.test", Type.AAAA, DnsAnswer.of(DnsResult.EMPTY, "no AAAA"));
        dns.answer("backup.test", Type.AAAA, DnsAnswer.of(DnsResult.EMPTY, "no AAAA"));
        watch(DEFAULTS, true, 0.5);
        scheduler.runDue();
        assertEquals(1, sets.size());
        List<String> seen = last().endpoints().stream()
                .map(e -> e.addressText() + " w" + e.weight() + " p" + e.priority() + " " + e.host() + "/" + e.label()).toList();
        assertEquals(List.of(
                "10.0.1.1:8001 w1000 p10 a1.test/a1.test",
                "10.0.1.2:8001 w1000 p10 a1.test/a1.test",
                "10.0.2.1:8002 w333 p10 a2.test/a2.test",
                "10.0.3.1:8003 w1 p10 a3.test/a3.test",
                "10.0.4.1:8004 w1 p20 backup.test/backup.test"), seen);
        assertEquals(0, dns.count("a1.test", Type.A), "the additional section answered for a1");
        assertEquals(1, dns.count("a3.test", Type.A));
        assertEquals(Duration.ofSeconds(5), nextDelay(), "the smallest TTL of everything used");
    }

    @Test
    void srvWeightsScaleToTheirPriorityAndZerosShareEqually() {
        assertEquals(1000, SrvWeights.weight(60, 60));
        assertEquals(333, SrvWeights.weight(20, 60));
        assertEquals(1, SrvWeights.weight(0, 60));
        assertEquals(1, SrvWeights.weight(1, 65535), "never below 1");
        assertEquals(1, SrvWeights.weight(0, 0), "all zero: 1 each");
    }

    @Test
    void srvTargetDotMeansNoService() {
        String service = "_http._tcp." + HOST;
        dns.answer(service, Type.SRV, DnsAnswer.ok(List.of(FakeResolver.srv(service, 30, 0, 0, 0, "."))));
        DnsWatch w = watch(DEFAULTS, true, 0.5);
        scheduler.runDue();
        assertTrue(sets.isEmpty());
        assertEquals(1L, w.status().results().get("empty"));
    }

    @Test
    void atMost512AddressesKeptInAFixedOrder() {
        List<Record> many = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            many.add(new ARecord(FakeResolver.name(HOST), DClass.IN, 60, FakeResolver.ip("10." + (i >> 16) + "." + ((i >> 8) & 255) + "." + (i & 255))));
        }
        dns.answer(HOST, Type.A, DnsAnswer.ok(many));
        dns.answer(HOST, Type.AAAA, DnsAnswer.of(DnsResult.EMPTY, "no AAAA"));
        watch(DEFAULTS);
        scheduler.runDue();
        assertEquals(DnsLookup.MAX_ADDRESSES, last().endpoints().size());
        assertEquals("10.0.0.0:8000", addresses(last()).get(0), "the first by address are kept");
    }

    @Test
    void closeCancelsTheScheduleAndDropsALateAnswer() {
        dns.a(HOST, 1, "10.0.0.5");
        DnsWatch w = watch(DEFAULTS);
        scheduler.runDue();
        assertEquals(1, sets.size());
        CompletableFuture<DnsAnswer> late = dns.hold(HOST, Type.A);
        scheduler.advance(Duration.ofSeconds(1)); // a resolution under way, waiting on A
        w.close();
        late.complete(DnsAnswer.ok(FakeResolver.records(HOST, 1, "10.0.0.9")));
        scheduler.advance(Duration.ofMinutes(5));
        assertEquals(1, sets.size(), "no call after close");
        assertTrue(scheduler.pendingDelays().isEmpty(), "nothing scheduled: " + scheduler.pendingDelays());
        assertEquals(0, w.status().nextRefreshMillis());
    }

    @Test
    void badNamesAndPortsAreRefusedAtStart() {
        assertThrows(IllegalArgumentException.class, () -> DnsWatch.start(DEFAULTS, "a".repeat(254), 80, false, sets::add,
                scheduler, () -> 0L, dns, new Random(1)));
        assertThrows(IllegalArgumentException.class, () -> DnsWatch.start(DEFAULTS, HOST, 0, false, sets::add,
                scheduler, () -> 0L, dns, new Random(1)));
    }

    @Test
    void aListenerThatThrowsDoesNotStopTheWatch() {
        dns.a(HOST, 1, "10.0.0.5");
        List<EndpointSet> calls = new ArrayList<>();
        DnsWatch.start(DEFAULTS, HOST, 80, false, s -> {
            calls.add(s);
            throw new IllegalStateException("listener bug");
        }, scheduler, () -> 0L, dns, new Random(1));
        scheduler.runDue();
        dns.a(HOST, 1, "10.0.0.6");
        scheduler.advance(Duration.ofSeconds(2));
        assertEquals(2, calls.size());
    }

    @Test
    void ipv6OffAsksNoAaaa() {
        dns.a(HOST, 1, "10.0.0.5").aaaa(HOST, 1, "fd00::5");
        watch(new DnsSettings("v4", List.of(), Duration.ofSeconds(2), 2, Duration.ofSeconds(1), Duration.ofSeconds(300), null,
                Duration.ofSeconds(30), Duration.ZERO, true, false));
        scheduler.runDue();
        assertEquals(List.of("10.0.0.5:8000"), addresses(last()));
        assertEquals(0, dns.count(HOST, Type.AAAA));
    }

    @Test
    void relativeNamesFollowTheSearchListAsGlibcDoes() throws Exception {
        DnsjavaResolver resolver = new DnsjavaResolver(List.of(new java.net.InetSocketAddress("127.0.0.1", 53)), DEFAULTS,
                List.of(FakeResolver.name("svc.cluster.local"), FakeResolver.name("cluster.local")), 5, Runnable::run);
        assertEquals(List.of("web.svc.cluster.local.", "web.cluster.local.", "web."),
                resolver.candidates("web").stream().map(Object::toString).toList(), "fewer dots than ndots: search list first");
        assertEquals(List.of("a.b.c.d.e.f.", "a.b.c.d.e.f.svc.cluster.local.", "a.b.c.d.e.f.cluster.local."),
                resolver.candidates("a.b.c.d.e.f").stream().map(Object::toString).toList(), "ndots reached: as given first");
        assertEquals(List.of("web."), resolver.candidates("web.").stream().map(Object::toString).toList(), "a final dot: absolute");
    }

    @Test
    void anSrvTargetWhoseAddressQueryFailsKeepsItsAddressesEvenAfterTheSrvQueryFailedInBetween() {
        String service = "_http._tcp." + HOST;
        dns.answer(service, Type.SRV, DnsAnswer.ok(List.of(FakeResolver.srv(service, 1, 0, 1, 8001, "a1.test"),
                FakeResolver.srv(service, 1, 0, 1, 8002, "a2.test"))));
        dns.a("a1.test", 1, "10.0.1.1").a("a2.test", 1, "10.0.2.1");
        dns.answer("a1.test", Type.AAAA, DnsAnswer.of(DnsResult.EMPTY, "no AAAA"));
        dns.answer("a2.test", Type.AAAA, DnsAnswer.of(DnsResult.EMPTY, "no AAAA"));
        watch(DEFAULTS, true, 0.5);
        scheduler.runDue();
        dns.answer(service, Type.SRV, DnsAnswer.of(DnsResult.TIMEOUT, "timeout"));
        scheduler.advance(Duration.ofSeconds(1));
        assertTrue(last().stale());

        dns.answer(service, Type.SRV, DnsAnswer.ok(List.of(FakeResolver.srv(service, 1, 0, 1, 8001, "a1.test"),
                FakeResolver.srv(service, 1, 0, 1, 8002, "a2.test"))));
        dns.answer("a2.test", Type.A, DnsAnswer.of(DnsResult.SERVFAIL, "SERVFAIL"));
        scheduler.advance(Duration.ofSeconds(1));
        assertFalse(last().stale());
        assertEquals(List.of("10.0.1.1:8001", "10.0.2.1:8002"), addresses(last()), "a2's address kept through its SERVFAIL");
    }
}
