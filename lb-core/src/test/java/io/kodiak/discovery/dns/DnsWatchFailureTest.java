package io.kodiak.discovery.dns;

import io.kodiak.discovery.DnsSettings;
import io.kodiak.discovery.Endpoint;
import io.kodiak.discovery.EndpointSet;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Type;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ways a resolution can go wrong that are not plain DNS answers: one family failing while the
 * other says the name is gone, a resolver throwing, a query that never ends.
 */
class DnsWatchFailureTest {
    private static final String HOST = "app.test";
    private final FakeScheduler scheduler = new FakeScheduler();
    private final FakeResolver dns = new FakeResolver();
    private final List<EndpointSet> sets = new ArrayList<>();

    private DnsWatch watch(DnsSettings s, DnsResolver resolver) {
        return DnsWatch.start(s, HOST, 8000, false, sets::add, scheduler, () -> scheduler.getAsLong() / 1_000_000, resolver, new Random(1));
    }

    private EndpointSet last() {
        return sets.get(sets.size() - 1);
    }

    private static List<String> addresses(EndpointSet set) {
        return set.endpoints().stream().map(Endpoint::addressText).toList();
    }

    @Test
    void nxdomainWhileAaaaTimesOutEmptiesTheSetAfterHoldNxNotNever() {
        dns.a(HOST, 1, "10.0.0.5");
        dns.answer(HOST, Type.AAAA, DnsAnswer.of(DnsResult.TIMEOUT, "timeout (a resolver that drops AAAA)"));
        watch(DnsSettings.DEFAULTS, dns);
        scheduler.runDue();
        dns.answer(HOST, Type.A, DnsAnswer.of(DnsResult.NX, "NXDOMAIN for app.test."));
        scheduler.advance(Duration.ofSeconds(5));
        assertTrue(last().stale(), "held for hold-nx (30 s)");
        scheduler.advance(Duration.ofMinutes(10));
        assertTrue(last().endpoints().isEmpty(), "empty after hold-nx: " + last());
    }

    @Test
    void nodataWhileTheOtherFamilyFailsKeepsThatFamilysAddressesAsASuccess() {
        dns.a(HOST, 1, "10.0.0.5").aaaa(HOST, 1, "fd00::5");
        DnsWatch w = watch(DnsSettings.DEFAULTS, dns);
        scheduler.runDue();
        dns.answer(HOST, Type.A, DnsAnswer.of(DnsResult.EMPTY, "no A record"));
        dns.answer(HOST, Type.AAAA, DnsAnswer.of(DnsResult.SERVFAIL, "SERVFAIL"));
        scheduler.advance(Duration.ofMinutes(10));
        assertEquals(List.of("[fd00::5]:8000"), addresses(last()), "A's are gone (NODATA), AAAA's kept (SERVFAIL)");
        assertFalse(last().stale());
        assertTrue(w.status().results().get("ok") > 1);
    }

    @Test
    void nodataWhileTheOtherFamilyFailsWithNothingHeldIsNodata() {
        dns.a(HOST, 1, "10.0.0.5");
        dns.answer(HOST, Type.AAAA, DnsAnswer.of(DnsResult.EMPTY, "no AAAA record"));
        watch(DnsSettings.DEFAULTS, dns);
        scheduler.runDue();
        dns.answer(HOST, Type.A, DnsAnswer.of(DnsResult.EMPTY, "no A record"));
        dns.answer(HOST, Type.AAAA, DnsAnswer.of(DnsResult.TIMEOUT, "timeout"));
        scheduler.advance(Duration.ofMinutes(10));
        assertTrue(last().endpoints().isEmpty(), "NODATA, held for hold-nx, then empty: " + last());
    }

    @Test
    void aResolverThatThrowsWhileStartingAQueryDoesNotEndTheWatch() {
        dns.a(HOST, 1, "10.0.0.5");
        int[] calls = {0};
        DnsResolver throwsOnce = (name, type) -> {
            if (calls[0]++ == 0) {
                throw new java.nio.channels.UnsupportedAddressTypeException(); // what NioUdpClient rethrows
            }
            return dns.query(name, type);
        };
        DnsWatch w = watch(new DnsSettings("t", List.of(), Duration.ofSeconds(2), 2, Duration.ofSeconds(1),
                Duration.ofSeconds(300), null, Duration.ofSeconds(30), Duration.ZERO, true, false), throwsOnce);
        scheduler.runDue();
        assertTrue(sets.isEmpty());
        assertEquals(1L, w.status().results().get("error"));
        scheduler.advance(Duration.ofSeconds(2)); // backoff: 1 s ± 10 %
        assertEquals(List.of("10.0.0.5:8000"), addresses(last()));
    }

    @Test
    void aQueryThatNeverEndsEndsAtTheDeadlineAndItsLateAnswerIsDropped() {
        DnsSettings ipv4 = new DnsSettings("t", List.of(), Duration.ofSeconds(2), 2, Duration.ofSeconds(1),
                Duration.ofSeconds(300), null, Duration.ofSeconds(30), Duration.ZERO, true, false);
        dns.a(HOST, 1, "10.0.0.5");
        DnsWatch w = watch(ipv4, dns);
        scheduler.runDue();
        CompletableFuture<DnsAnswer> lost = dns.hold(HOST, Type.A); // as if dnsjava's I/O thread had died
        long deadline = DnsWatch.deadlineMillis(ipv4);
        assertEquals(1, scheduler.pendingDelays().size());
        scheduler.advance(scheduler.pendingDelays().get(0)); // the next resolution starts, and waits
        scheduler.advance(Duration.ofMillis(deadline - 1));
        assertEquals(0L, w.status().results().get("error"), "not yet");
        scheduler.advance(Duration.ofMillis(1));
        assertEquals(1L, w.status().results().get("error"), "the deadline ended it");
        assertTrue(last().stale());
        lost.complete(DnsAnswer.ok(FakeResolver.records(HOST, 1, "10.0.0.9")));
        scheduler.runDue();
        assertEquals(List.of("10.0.0.5:8000"), addresses(last()), "the late answer is not used");
        scheduler.advance(Duration.ofSeconds(2)); // backoff 1 s: asked again, answered
        assertEquals(List.of("10.0.0.5:8000"), addresses(last()));
        assertFalse(last().stale());
    }
}
