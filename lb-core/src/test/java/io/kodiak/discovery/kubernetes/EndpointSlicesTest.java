package io.kodiak.discovery.kubernetes;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.kodiak.discovery.Readiness;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.kodiak.discovery.kubernetes.Slices.conditions;
import static io.kodiak.discovery.kubernetes.Slices.endpoint;
import static io.kodiak.discovery.kubernetes.Slices.port;
import static io.kodiak.discovery.kubernetes.Slices.ready;
import static io.kodiak.discovery.kubernetes.Slices.slice;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The pure mapping from EndpointSlices to endpoints: conditions, ports, zones, duplicates, the cap. */
class EndpointSlicesTest {
    private static final List<io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort> HTTP = List.of(port("http", 8000));

    @Test
    void conditionsMapToReadiness() {
        // ready, serving, terminating
        assertEquals(Readiness.READY, EndpointSlices.readiness(null));
        assertEquals(Readiness.READY, EndpointSlices.readiness(conditions(null, null, null)), "nil ready is ready");
        assertEquals(Readiness.READY, EndpointSlices.readiness(conditions(true, true, false)));
        assertEquals(Readiness.DRAIN, EndpointSlices.readiness(conditions(false, true, true)), "serving and terminating");
        assertEquals(Readiness.DRAIN, EndpointSlices.readiness(conditions(true, true, true)), "publishNotReadyAddresses keeps ready");
        assertEquals(Readiness.OUT, EndpointSlices.readiness(conditions(false, false, true)), "terminating, not serving");
        assertEquals(Readiness.OUT, EndpointSlices.readiness(conditions(false, false, false)), "not serving");
        assertEquals(Readiness.OUT, EndpointSlices.readiness(conditions(false, null, null)), "nil serving follows ready");
        assertEquals(Readiness.OUT, EndpointSlices.readiness(conditions(false, null, true)));
    }

    @Test
    void thePortIsChosenByNameByNumberOrAsTheOnlyOne() {
        List<io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort> two = List.of(port("http", 8000), port("metrics", 9100));
        EndpointSlice s = slice("web", "web-1", two, ready("10.0.0.1", "p"));
        assertEquals("10.0.0.1:8000 READY p", show(EndpointSlices.map(List.of(s), "h", "http", 512)));
        assertEquals("10.0.0.1:9100 READY p", show(EndpointSlices.map(List.of(s), "h", "9100", 512)));
        EndpointSlices.Mapped none = EndpointSlices.map(List.of(s), "h", "80", 512);
        assertEquals("", show(none));
        assertEquals("no port 80 in the EndpointSlices (ports: http=8000, metrics=9100; a number is the pods' port, "
                + "not the Service's)", none.problem());
        assertEquals("no port named grpc in the EndpointSlices (ports: http=8000, metrics=9100; a number is the pods' "
                + "port, not the Service's)", EndpointSlices.map(List.of(s), "h", "grpc", 512).problem());
        assertEquals("the Service has ports http=8000, metrics=9100: name one with port:",
                EndpointSlices.map(List.of(s), "h", null, 512).problem());
        EndpointSlices.Mapped only = EndpointSlices.map(List.of(slice("web", "web-1", List.of(port(null, 8080)),
                ready("10.0.0.1", "p"))), "h", null, 512);
        assertEquals("10.0.0.1:8080 READY p", show(only));
        assertNull(only.problem());
        assertEquals("", show(EndpointSlices.map(List.of(slice("web", "web-1", List.of(new io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort(
                null, "dns", 53, "UDP")), ready("10.0.0.1", "p"))), "h", "dns", 512)), "UDP ports are not proxied");
    }

    @Test
    void zonesComeFromTheEndpointOrItsFirstHint() {
        EndpointSlice s = slice("web", "web-1", HTTP,
                new EndpointBuilder().withAddresses("10.0.0.1").withZone("eu-1a").build(),
                new EndpointBuilder().withAddresses("10.0.0.2").withNewHints().addNewForZone("eu-1b").addNewForZone("eu-1c").endHints().build(),
                new EndpointBuilder().withAddresses("10.0.0.3").build());
        List<io.kodiak.discovery.Endpoint> e = EndpointSlices.map(List.of(s), "h", "http", 512).endpoints();
        assertEquals("eu-1a", e.get(0).zone());
        assertEquals("eu-1b", e.get(1).zone());
        assertNull(e.get(2).zone());
        assertNull(e.get(2).label(), "no targetRef");
    }

    @Test
    void anAddressInTwoSlicesCountsOnceAtItsBest() {
        EndpointSlice old = slice("web", "web-a", HTTP, endpoint("10.0.0.1", "p", conditions(false, false, false)));
        EndpointSlice moved = slice("web", "web-b", HTTP, ready("10.0.0.1", "p"));
        assertEquals("10.0.0.1:8000 READY p", show(EndpointSlices.map(List.of(old, moved), "h", "http", 512)));
        assertEquals("10.0.0.1:8000 READY p", show(EndpointSlices.map(List.of(moved, old), "h", "http", 512)));
    }

    @Test
    void ipv6AndNamesAndFqdnSlices() {
        EndpointSlice v6 = new EndpointSliceBuilder(slice("web", "web-6", HTTP, ready("fd00::5", "p6"))).withAddressType("IPv6").build();
        assertEquals("[fd00::5]:8000 READY p6", show(EndpointSlices.map(List.of(v6), "h", "http", 512)));
        EndpointSlice fqdn = new EndpointSliceBuilder(slice("web", "web-f", HTTP, ready("db.example.com", "f"))).withAddressType("FQDN").build();
        EndpointSlices.Mapped m = EndpointSlices.map(List.of(fqdn), "h", "http", 512);
        assertEquals("", show(m));
        assertEquals("addressType FQDN skipped (only IPv4 and IPv6 slices give addresses)", m.problem());
        // never a DNS lookup: hex-looking names, short forms and garbage are not addresses
        assertNull(EndpointSlices.literal("cafe"));
        assertNull(EndpointSlices.literal("127.1"));
        assertNull(EndpointSlices.literal("256.0.0.1"));
        assertNull(EndpointSlices.literal("db.example.com"));
        assertEquals("10.1.2.3", EndpointSlices.literal("10.1.2.3").getHostAddress());
        assertEquals("10.1.2.3", new java.net.InetSocketAddress(EndpointSlices.literal("10.1.2.3"), 80).getHostString(), "no host name attached");
    }

    @Test
    void aHugeServiceIsCutToTheCap() {
        List<io.fabric8.kubernetes.api.model.discovery.v1.Endpoint> many = new ArrayList<>();
        for (int i = 0; i < 700; i++) {
            many.add(ready("10.0." + (i / 256) + "." + (i % 256), "p" + i));
        }
        EndpointSlices.Mapped m = EndpointSlices.map(List.of(slice("web", "web-1", HTTP,
                many.toArray(io.fabric8.kubernetes.api.model.discovery.v1.Endpoint[]::new))), "h", "http", EndpointSlices.MAX_ADDRESSES);
        assertEquals(512, m.endpoints().size());
        assertEquals("the Service has 700 addresses; the first 512 are used", m.problem());
    }

    @Test
    void problemsFromManyOddSlicesAreBounded() {
        List<io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice> odd = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            List<io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort> ports = new ArrayList<>();
            for (int p = 0; p < 50; p++) {
                ports.add(port("port-" + i + "-" + p + "-" + "x".repeat(40), 1000 + p));
            }
            odd.add(slice("web", "web-" + i, ports, ready("10.0.0." + (i % 250), "p" + i)));
        }
        String problem = EndpointSlices.map(odd, "h", "http", EndpointSlices.MAX_ADDRESSES).problem();
        assertTrue(problem.length() <= EndpointSlices.MAX_PROBLEMS * (EndpointSlices.MAX_PROBLEM + 5) + 40, problem.length() + " characters");
        assertTrue(problem.endsWith("; and 997 more"), problem.substring(problem.length() - 40));
    }

    private static String show(EndpointSlices.Mapped m) {
        return Sets.show(m.endpoints());
    }
}
