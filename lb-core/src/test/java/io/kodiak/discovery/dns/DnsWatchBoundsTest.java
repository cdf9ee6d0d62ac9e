package io.kodiak.discovery.dns;

import io.kodiak.discovery.DnsSettings;
import io.kodiak.discovery.Endpoint;
import io.kodiak.discovery.EndpointSet;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

import java.lang.reflect.Field;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a hostile or merely huge answer may cost: the memory a watch keeps between resolutions
 * (last good addresses, hold-obsolete's vanished ones) stays within a bound whatever DNS sends.
 */
class DnsWatchBoundsTest {
    private final FakeScheduler scheduler = new FakeScheduler();
    private final FakeResolver dns = new FakeResolver();
    private final List<EndpointSet> sets = new ArrayList<>();

    private static final DnsSettings HOLD_OBSOLETE_1H = new DnsSettings("t", List.of(), Duration.ofSeconds(2), 2,
            Duration.ofSeconds(1), Duration.ofSeconds(300), null, Duration.ofSeconds(30), Duration.ofHours(1), true, false);

    private static Object field(Object o, String name) throws ReflectiveOperationException {
        Field f = o.getClass().getDeclaredField(name);
        f.setAccessible(true);
        return f.get(o);
    }

    private DnsWatch watch(DnsSettings s, String host, boolean srv) {
        return DnsWatch.start(s, host, 8000, srv, sets::add, scheduler, () -> scheduler.getAsLong() / 1_000_000, dns, new Random(1));
    }

    private EndpointSet last() {
        return sets.get(sets.size() - 1);
    }

    /** {@code n} IPv4 literals from {@code base} on: 10.x.y.z. */
    private static String[] block(int base, int n) {
        String[] out = new String[n];
        for (int i = 0; i < n; i++) {
            int k = base + i;
            out[i] = "10." + ((k >> 16) & 255) + "." + ((k >> 8) & 255) + "." + (k & 255);
        }
        return out;
    }

    @Test
    void srvWith128FatTargetsKeepsAtMostTwiceTheCapAsLastGoodAddresses() throws Exception {
        String service = "_http._tcp.app.test";
        List<Record> srv = new ArrayList<>();
        for (int t = 0; t < 128; t++) {
            String target = "t" + t + ".test";
            srv.add(FakeResolver.srv(service, 60, 0, 1, 8000, target));
            List<Record> a = new ArrayList<>();
            for (int i = 0; i < 4000; i++) {
                a.add(new ARecord(FakeResolver.name(target), DClass.IN, 60,
                        InetAddress.getByAddress(new byte[]{10, (byte) t, (byte) (i >> 8), (byte) i})));
            }
            List<Record> aaaa = new ArrayList<>();
            for (int i = 0; i < 2000; i++) {
                byte[] b = new byte[16];
                b[0] = (byte) 0xfd;
                b[13] = (byte) t;
                b[14] = (byte) (i >> 8);
                b[15] = (byte) i;
                aaaa.add(new AAAARecord(FakeResolver.name(target), DClass.IN, 60, InetAddress.getByAddress(b)));
            }
            dns.answer(target, Type.A, DnsAnswer.ok(a));
            dns.answer(target, Type.AAAA, DnsAnswer.ok(aaaa));
        }
        dns.answer(service, Type.SRV, DnsAnswer.ok(srv));
        DnsWatch w = watch(DnsSettings.DEFAULTS, service, true);
        scheduler.runDue();
        assertEquals(1, sets.size());
        assertEquals(DnsLookup.MAX_ADDRESSES, last().endpoints().size(), "the set is cut to the cap");
        @SuppressWarnings("unchecked")
        Map<String, List<InetAddress>> lastGood = (Map<String, List<InetAddress>>) field(field(w, "lookup"), "lastGood");
        long held = lastGood.values().stream().mapToLong(List::size).sum();
        assertTrue(held <= 2L * DnsLookup.MAX_ADDRESSES, "last good addresses: " + held + " (768,000 answered)");
        assertTrue(last().endpoints().stream().map(Endpoint::host).distinct().count() == 128, "every target has its share");
    }

    @Test
    void oneFatAnswerKeepsTheFirstByAddressAsTheSetDoes() throws Exception {
        dns.a("app.test", 60, block(0, 3000));
        DnsWatch w = watch(HOLD_OBSOLETE_1H, "app.test", false);
        scheduler.runDue();
        @SuppressWarnings("unchecked")
        Map<String, List<InetAddress>> lastGood = (Map<String, List<InetAddress>>) field(field(w, "lookup"), "lastGood");
        assertEquals(DnsLookup.MAX_ADDRESSES, lastGood.get("app.test A").size());
        assertEquals(DnsLookup.MAX_ADDRESSES, last().endpoints().size());
        assertEquals("10.0.0.0:8000", last().endpoints().get(0).addressText());
        // A timeout of A next time shows exactly what was held: the same first 512.
        List<Endpoint> before = last().endpoints();
        dns.answer("app.test", Type.A, DnsAnswer.of(DnsResult.TIMEOUT, "timeout"));
        scheduler.advance(Duration.ofSeconds(60));
        assertEquals(before, last().endpoints());
    }

    @Test
    void holdObsoleteForgetsWhatTheCapLeavesOutWithRotatingAnswers() throws Exception {
        dns.a("app.test", 1, "10.0.0.1");
        DnsWatch w = watch(HOLD_OBSOLETE_1H, "app.test", false);
        scheduler.runDue();
        for (int round = 0; round < 100; round++) {
            dns.a("app.test", 1, block(round * 512, 512));
            scheduler.advance(Duration.ofSeconds(2));
        }
        @SuppressWarnings("unchecked")
        Map<String, ?> obsolete = (Map<String, ?>) field(field(w, "policy"), "obsolete");
        assertTrue(obsolete.size() <= DnsLookup.MAX_ADDRESSES, "hold-obsolete holds " + obsolete.size());
    }

    @Test
    void holdObsoleteUnderTheCapKeepsTheJustVanishedNotTheLongRetired() {
        dns.a("app.test", 1, block(0, 512));            // A: 10.0.0.0 ..
        watch(HOLD_OBSOLETE_1H, "app.test", false);
        scheduler.runDue();
        dns.a("app.test", 1, block(1 << 16, 512));      // B: 10.1.0.0 .. (A is left out by the cap)
        scheduler.advance(Duration.ofSeconds(2));
        dns.a("app.test", 1, block(2 << 16, 10));       // C: 10 addresses, B just vanished
        scheduler.advance(Duration.ofSeconds(2));
        List<String> shown = last().endpoints().stream().map(Endpoint::addressText).toList();
        assertEquals(DnsLookup.MAX_ADDRESSES, shown.size());
        assertEquals(0, shown.stream().filter(a -> a.startsWith("10.0.")).count(), "A, gone since B, is not back");
        assertEquals(502, shown.stream().filter(a -> a.startsWith("10.1.")).count(), "B fills the cap");
    }

    @Test
    void srvRecordsAtPortZeroAreNoUpstream() {
        String service = "_http._tcp.app.test";
        dns.answer(service, Type.SRV, DnsAnswer.ok(List.of(FakeResolver.srv(service, 30, 0, 1, 0, "a0.test"),
                FakeResolver.srv(service, 30, 0, 1, 8001, "a1.test"))));
        dns.a("a0.test", 30, "10.0.0.1").a("a1.test", 30, "10.0.0.2");
        dns.answer("a1.test", Type.AAAA, DnsAnswer.of(DnsResult.EMPTY, "no AAAA"));
        watch(DnsSettings.DEFAULTS, service, true);
        scheduler.runDue();
        assertEquals(List.of("10.0.0.2:8001"), last().endpoints().stream().map(Endpoint::addressText).toList());
        assertEquals(0, dns.count("a0.test", Type.A), "a port-0 target is not even asked about");
    }
}
