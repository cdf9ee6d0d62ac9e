package io.kodiak.proxy;

import io.kodiak.config.DnsSource;
import io.kodiak.config.HealthCheckConfig;
import io.kodiak.config.KodiakConfig;
import io.kodiak.config.PoolConfig;
import io.kodiak.config.UpstreamConfig;
import io.kodiak.config.UpstreamSource;
import io.kodiak.discovery.DnsSettings;
import io.kodiak.discovery.Readiness;
import io.kodiak.health.HealthCheckPolicy;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.testing.ScriptedUpstream;
import io.kodiak.upstream.AdminState;
import io.kodiak.upstream.PoolRuntime;
import io.kodiak.upstream.Upstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Pools that follow a discovery source, over real sockets with a fake {@link FakeDiscovery} in
 * place of DNS: what stays keeps its state, what goes finishes its requests, what comes waits for
 * its first check, a draining endpoint finishes its request, and reloads keep or drop the set.
 */
@Timeout(60)
class DiscoveryRuntimeTest {
    private static final String HOST = "app.test";
    private static final DnsSource SOURCE = new DnsSource("app", HOST, 8000, false, "default", 1, 0);
    private final List<ScriptedUpstream> ups = new ArrayList<>();
    private final FakeDiscovery fake = new FakeDiscovery();
    private ProxyServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        ups.forEach(ScriptedUpstream::close);
    }

    private ScriptedUpstream upstream(String name) throws IOException {
        ScriptedUpstream u = ScriptedUpstream.start(name);
        ups.add(u);
        return u;
    }

    /** An upstream whose {@code /held} requests wait for {@code release}. */
    private ScriptedUpstream holding(String name, CountDownLatch release) throws IOException {
        ScriptedUpstream u = ScriptedUpstream.start(name, req -> {
            if (req.target().equals("/held")) {
                try {
                    release.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return ScriptedUpstream.defaultResponse(name, req);
        });
        ups.add(u);
        return u;
    }

    private static KodiakConfig withSources(KodiakConfig c, UpstreamSource... sources) {
        PoolConfig p = c.pools().get(ProxyConfig.POOL).withSources(List.of(sources));
        return c.withPools(Map.of(ProxyConfig.POOL, p));
    }

    private void start(ProxyConfig pc) throws IOException {
        server = ProxyServer.startWithDiscovery(withSources(pc.build(), SOURCE), () -> fake);
    }

    private PoolRuntime pool() {
        return server.pools().get(ProxyConfig.POOL);
    }

    private Upstream at(ScriptedUpstream u) {
        return pool().upstreams().stream().filter(x -> x.name().equals("app[127.0.0.1:" + u.port() + "]")).findFirst()
                .orElseThrow(() -> new AssertionError("no upstream at " + u.port() + " in " + pool().upstreams()));
    }

    private List<String> send(int n) throws IOException {
        List<String> who = new ArrayList<>();
        try (RawClient c = RawClient.connect(port())) {
            for (int i = 0; i < n; i++) {
                RawResponse r = c.get("/r" + i);
                assertEquals(200, r.status(), r.toString());
                who.add(r.header("X-Upstream"));
            }
        }
        return who;
    }

    private int port() {
        return server.boundAddress(ProxyConfig.LISTENER).getPort();
    }

    @Test
    void aPoolAnswers503UntilItsSourceAnswersThenServesTheSet() throws Exception {
        ScriptedUpstream a = upstream("a");
        ScriptedUpstream b = upstream("b");
        start(ProxyConfig.to());
        assertEquals(1, fake.open(HOST).size(), "the source's watch started with the server");
        try (RawClient c = RawClient.connect(port())) {
            assertEquals(503, c.get("/").status(), "no address yet: 503, as HAProxy's init-addr none");
        }
        fake.emit(HOST, FakeDiscovery.set(HOST, a.port(), b.port()));
        Upstream ua = at(a);
        assertEquals("dns app.test:8000", ua.source());
        assertEquals(HOST, ua.host(), "the name it was found by (TLS, Host rewriting)");
        assertEquals("127.0.0.1:" + a.port(), ua.addressText());
        List<String> who = send(4);
        assertEquals(2, who.stream().filter("a"::equals).count(), who.toString());
        assertEquals(2, who.stream().filter("b"::equals).count(), who.toString());
        assertEquals(List.of(), server.config().pools().get(ProxyConfig.POOL).upstreams(),
                "the set is not written into the file's list, so a reload keeps it");
        assertEquals(2, server.sources(ProxyConfig.POOL).get("dns app.test:8000").addresses());
    }

    @Test
    void scalingUpAndDownKeepsTheStateOfTheAddressesThatStay() throws Exception {
        ScriptedUpstream a = upstream("a");
        ScriptedUpstream b = upstream("b");
        ScriptedUpstream c = upstream("c");
        start(ProxyConfig.to());
        fake.emit(HOST, FakeDiscovery.set(HOST, a.port(), b.port()));
        Upstream ua = at(a);
        Upstream ub = at(b);
        send(4);
        server.setWeight(ua, 3);
        server.setAdminState(ub, AdminState.DRAIN);
        long requestsOfA = ua.requests();

        fake.emit(HOST, FakeDiscovery.set(HOST, a.port(), b.port(), c.port()));
        assertSame(ua, at(a), "kept: the same upstream, with its load state");
        assertSame(ub, at(b));
        assertEquals(requestsOfA, ua.requests());
        assertEquals(3, ua.weight(), "the weight set at runtime stays");
        assertEquals(AdminState.DRAIN, ub.adminState(), "the admin state stays");
        List<String> who = send(8);
        assertEquals(6, who.stream().filter("a"::equals).count(), who.toString());
        assertEquals(2, who.stream().filter("c"::equals).count(), who.toString());

        fake.emit(HOST, FakeDiscovery.set(HOST, a.port()));
        assertTrue(ub.removed());
        assertEquals(1, pool().upstreams().size(), pool().upstreams().toString());
        assertEquals(List.of("a", "a", "a"), send(3));
        Conditions.await("the connection pools of the removed ones go", () -> server.idleConnections(ub) == 0,
                Duration.ofSeconds(10));
    }

    @Test
    void aVanishedAddressFinishesItsRequestInFlightAndTakesNoNewOne() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        ScriptedUpstream a = upstream("a");
        ScriptedUpstream b = holding("b", release);
        start(ProxyConfig.to());
        fake.emit(HOST, FakeDiscovery.set(HOST, b.port()));
        Upstream ub = at(b);
        try (RawClient held = RawClient.connect(port())) {
            held.send("GET /held HTTP/1.1\r\nHost: x\r\n\r\n");
            Conditions.await("a request in flight at b", () -> ub.inFlight() == 1, Duration.ofSeconds(10));
            fake.emit(HOST, FakeDiscovery.set(HOST, a.port()));
            assertTrue(ub.removed());
            assertEquals(1, ub.inFlight(), "its request is still in flight");
            assertEquals(List.of("a", "a", "a", "a"), send(4), "no new request goes to b");
            release.countDown();
            RawResponse r = held.readResponse();
            assertEquals(200, r.status(), "the request in flight at the vanished address finished");
            assertEquals("b", r.header("X-Upstream"));
        }
        Conditions.await("b's connection pool goes once idle", () -> b.openConnections() == 0, Duration.ofSeconds(10));
    }

    @Test
    void anAddressAddedAfterTheFirstSetTakesNoRequestBeforeItsFirstPassedCheckThenRampsUp() throws Exception {
        ScriptedUpstream a = upstream("a");
        ScriptedUpstream b = upstream("b");
        b.refuseConnections();
        HealthCheckPolicy fast = HealthCheckPolicy.DEFAULTS.withIntervals(Duration.ofMillis(50), Duration.ofMillis(50),
                Duration.ofMillis(50)).withTimeout(Duration.ofMillis(500));
        start(ProxyConfig.to().healthCheck(new HealthCheckConfig(HealthCheckConfig.Type.TCP, fast, null))
                .slowStart(Duration.ofMinutes(5)));
        fake.emit(HOST, FakeDiscovery.set(HOST, a.port()));
        Upstream ua = at(a);
        assertTrue(ua.available(), "the first set joins as a file's upstreams do: at once");
        assertFalse(ua.slowStarting());

        fake.emit(HOST, FakeDiscovery.set(HOST, a.port(), b.port()));
        Upstream ub = at(b);
        assertFalse(ub.healthy(), "added later: down until its first check passes");
        assertFalse(pool().selection().members().contains(ub));
        assertEquals(List.of("a", "a", "a", "a"), send(4));
        b.acceptConnections();
        Conditions.await("b up after its first passed check", ub::available, Duration.ofSeconds(10));
        assertTrue(ub.slowStarting(), "and it ramps up through slow start");
        assertTrue(ub.effectiveWeight() < ua.effectiveWeight(), ub.effectiveWeight() + " vs " + ua.effectiveWeight());
    }

    @Test
    void withoutChecksAnAddedAddressRampsUpAtOnce() throws Exception {
        ScriptedUpstream a = upstream("a");
        ScriptedUpstream b = upstream("b");
        start(ProxyConfig.to().slowStart(Duration.ofMinutes(5)));
        fake.emit(HOST, FakeDiscovery.set(HOST, a.port()));
        fake.emit(HOST, FakeDiscovery.set(HOST, a.port(), b.port()));
        Upstream ub = at(b);
        assertTrue(ub.available());
        assertTrue(ub.slowStarting());
        assertFalse(at(a).slowStarting());
    }

    @Test
    void aDrainingEndpointFinishesItsRequestAndGetsNoNewOneThenComesBack() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        ScriptedUpstream b = holding("b", release);
        ScriptedUpstream a = upstream("a");
        start(ProxyConfig.to());
        fake.emit(HOST, FakeDiscovery.set(HOST, b.port()));
        Upstream ub = at(b);
        try (RawClient held = RawClient.connect(port())) {
            held.send("GET /held HTTP/1.1\r\nHost: x\r\n\r\n");
            Conditions.await("a request in flight at b", () -> ub.inFlight() == 1, Duration.ofSeconds(10));
            fake.emit(HOST, FakeDiscovery.set(HOST, List.of(a.port(), b.port()), Map.of(b.port(), Readiness.DRAIN)));
            assertSame(ub, at(b), "kept: a terminating endpoint is drained, not removed");
            assertEquals(Readiness.DRAIN, ub.discovery());
            assertEquals("DRAIN", ub.state());
            assertTrue(ub.stateReasons().contains("discovery"), ub.stateReasons().toString());
            assertEquals(AdminState.READY, ub.adminState(), "the operator's state is its own");
            assertEquals(List.of("a", "a", "a"), send(3));
            release.countDown();
            RawResponse r = held.readResponse();
            assertEquals(200, r.status(), "the request in flight finished");
            assertEquals("b", r.header("X-Upstream"));
        }
        fake.emit(HOST, FakeDiscovery.set(HOST, a.port(), b.port()));
        assertEquals(Readiness.READY, ub.discovery());
        assertTrue(send(4).contains("b"), "ready again: back in rotation");
    }

    @Test
    void aReloadKeepsTheSetAndTheWatchAndADroppedSourceTakesItsUpstreams() throws Exception {
        ScriptedUpstream a = upstream("a");
        ScriptedUpstream b = upstream("b");
        ScriptedUpstream s = upstream("s");
        start(ProxyConfig.to());
        fake.emit(HOST, FakeDiscovery.set(HOST, a.port(), b.port()));
        Upstream ua = at(a);
        KodiakConfig same = withSources(ProxyConfig.to().maxConnections(0).build(), SOURCE);
        server.reload(same.withPools(Map.of(ProxyConfig.POOL, same.pools().get(ProxyConfig.POOL)
                .withUpstreams(List.of(new UpstreamConfig("s", "127.0.0.1", s.port(), 1))))));
        assertEquals(1, fake.watches.size(), "an unchanged source keeps its watch: no re-query");
        assertSame(ua, at(a), "and its set: a reload does not drop discovered upstreams");
        assertEquals(3, pool().upstreams().size(), pool().upstreams().toString());

        // A new weight for the entry: the same watch, its last set again with the new weight.
        DnsSource heavier = new DnsSource("app", HOST, 8000, false, "default", 5, 0);
        server.reload(withSources(ProxyConfig.to().build(), heavier));
        assertEquals(1, fake.watches.size());
        assertSame(ua, at(a));
        assertEquals(5, ua.weight());

        // Another resolver: the watch restarts with it, and its first set keeps the addresses that stay.
        DnsSettings other = DnsSettings.DEFAULTS.withName("other").withNameservers(List.of(new InetSocketAddress("127.0.0.1", 5353)));
        KodiakConfig withOther = withSources(ProxyConfig.to().slowStart(Duration.ofMinutes(5)).build(),
                new DnsSource("app", HOST, 8000, false, "other", 5, 0));
        server.reload(withOther.withResolvers(Map.of("other", other)));
        assertEquals(2, fake.watches.size());
        assertTrue(fake.watches.get(0).closed, "the old watch stopped");
        assertEquals(other, fake.watches.get(1).settings);
        ScriptedUpstream c = upstream("c");
        fake.emit(HOST, FakeDiscovery.set(HOST, a.port(), b.port(), c.port()));
        assertSame(ua, at(a), "same name and address: kept");
        assertTrue(at(c).slowStarting(), "the new watch's first set is not the pool's: an address it adds ramps up");
        assertFalse(ua.slowStarting());

        server.reload(ProxyConfig.to(s).build());
        assertTrue(fake.open(HOST).isEmpty(), "a dropped source's watch stops");
        assertTrue(ua.removed());
        assertEquals(List.of("s"), pool().upstreams().stream().map(Upstream::name).toList());
        assertEquals(List.of("s", "s"), send(2));
    }

    @Test
    void anAddressListedInTheFileIsOneUpstreamAndADiscoveredOneCannotBeDeleted() throws Exception {
        ScriptedUpstream a = upstream("a");
        ScriptedUpstream b = upstream("b");
        start(ProxyConfig.to(a));
        fake.emit(HOST, FakeDiscovery.set(HOST, a.port(), b.port()));
        assertEquals(List.of("a", "app[127.0.0.1:" + b.port() + "]"), pool().upstreams().stream().map(Upstream::name).toList(),
                "a static upstream at a discovered address wins; the discovered one is skipped");
        Upstream ub = at(b);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> server.removeUpstream(ub));
        assertEquals("discovered by dns app.test:8000: change DNS, or drain it", e.getMessage());
        assertFalse(ub.removed());
    }

    @Test
    void anEmptySetAnswersTheQueueAtOnceWhileTheRequestInFlightFinishes() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        ScriptedUpstream b = holding("b", release);
        DnsSource one = new DnsSource("app", HOST, 8000, false, "default", 1, 1); // max-connections 1
        server = ProxyServer.startWithDiscovery(withSources(ProxyConfig.to().queue(10, Duration.ofSeconds(30)).build(), one),
                () -> fake);
        fake.emit(HOST, FakeDiscovery.set(HOST, b.port()));
        Upstream ub = at(b);
        try (RawClient held = RawClient.connect(port()); RawClient waiting = RawClient.connect(port())) {
            held.send("GET /held HTTP/1.1\r\nHost: x\r\n\r\n");
            Conditions.await("a request in flight at b", () -> ub.inFlight() == 1, Duration.ofSeconds(10));
            waiting.send("GET /next HTTP/1.1\r\nHost: x\r\n\r\n");
            Conditions.await("the next one waits in the queue", () -> server.queued(ProxyConfig.POOL) == 1, Duration.ofSeconds(10));
            fake.emit(HOST, new io.kodiak.discovery.EndpointSet(List.of(), false, null)); // hold-nx ran out
            assertEquals(503, waiting.readResponse().status(), "nothing left: the queue is answered now, not at its timeout");
            release.countDown();
            assertEquals(200, held.readResponse().status(), "the request in flight finished");
        }
    }

    @Test
    void aSetThatCouldNotBeAppliedIsRetriedAndTheNewestOneWins() throws Exception {
        KodiakConfig config = withSources(ProxyConfig.to().build(), SOURCE);
        List<String> applied = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.concurrent.atomic.AtomicBoolean failing = new java.util.concurrent.atomic.AtomicBoolean(true);
        DiscoveryRuntime rt = new DiscoveryRuntime(() -> fake, (pool, source, set, initial, current) -> {
            String what = set.upstreams().size() + " initial=" + initial;
            if (failing.get()) {
                applied.add("failed " + what);
                throw new IllegalStateException("the control loop did not run the change within 10 s");
            }
            applied.add(what);
        }, () -> config);
        try {
            rt.start();
            fake.emit(HOST, FakeDiscovery.set(HOST, 9001));
            fake.emit(HOST, FakeDiscovery.set(HOST, 9001, 9002));
            failing.set(false);
            Conditions.await("the retry applied", () -> applied.size() == 3, Duration.ofSeconds(10));
            assertEquals(List.of("failed 1 initial=true", "failed 2 initial=true", "2 initial=true"), applied,
                    "the newest set, once, still the source's first");
            fake.emit(HOST, FakeDiscovery.set(HOST, 9001, 9002, 9003));
            assertEquals("3 initial=false", applied.get(3));
        } finally {
            rt.close();
        }
        assertTrue(fake.closed, "closing the runtime closes the discovery it made");
        assertTrue(fake.watches.get(0).closed);
    }

    @Test
    void aSourceThatCannotStartLeavesThePoolServingAndIsTriedAgain() throws Exception {
        ScriptedUpstream s = upstream("s");
        java.util.concurrent.atomic.AtomicInteger tries = new java.util.concurrent.atomic.AtomicInteger();
        FakeDiscovery flaky = new FakeDiscovery() {
            @Override
            public io.kodiak.discovery.Watch dns(DnsSettings resolver, String host, int port, boolean srv,
                                                 io.kodiak.discovery.DiscoveryListener listener) {
                if (tries.incrementAndGet() == 1) {
                    throw new IllegalStateException("no route to the nameserver");
                }
                return super.dns(resolver, host, port, srv, listener);
            }
        };
        server = ProxyServer.startWithDiscovery(withSources(ProxyConfig.to(s).build(), SOURCE), () -> flaky);
        assertEquals("no route to the nameserver", server.sources(ProxyConfig.POOL).get("dns app.test:8000").lastError());
        assertEquals(List.of("s", "s"), send(2), "the file's upstreams serve meanwhile");
        Conditions.await("the watch started on a retry", () -> flaky.open(HOST).size() == 1, Duration.ofSeconds(10));
    }

    @Test
    void namesAreEntryAndAddressCutToAHundredCharacters() {
        assertEquals("app[10.0.0.5:8000]", DiscoveredSet.name("app", "10.0.0.5:8000"));
        assertEquals("app[[fd00::5]:8000]", DiscoveredSet.name("app", "[fd00::5]:8000"));
        String cut = DiscoveredSet.name("x".repeat(200), "10.0.0.5:8000");
        assertEquals(100, cut.length());
        assertTrue(cut.endsWith("x[10.0.0.5:8000]"), cut);
    }

    /** A reload that restarts the watch (another resolver): its first set is not the pool's first. */
    @Test
    void anAddressAddedAfterAWatchRestartWaitsForItsFirstCheck() throws Exception {
        ScriptedUpstream a = upstream("a");
        ScriptedUpstream c = upstream("c");
        c.refuseConnections();
        HealthCheckPolicy slow = HealthCheckPolicy.DEFAULTS.withIntervals(Duration.ofSeconds(30), Duration.ofSeconds(30),
                Duration.ofSeconds(30)).withTimeout(Duration.ofMillis(500));
        ProxyConfig pc = ProxyConfig.to().healthCheck(new HealthCheckConfig(HealthCheckConfig.Type.TCP, slow, null));
        start(pc);
        fake.emit(HOST, FakeDiscovery.set(HOST, a.port()));
        DnsSettings other = DnsSettings.DEFAULTS.withName("other").withNameservers(List.of(new InetSocketAddress("127.0.0.1", 5353)));
        KodiakConfig withOther = withSources(pc.build(), new DnsSource("app", HOST, 8000, false, "other", 1, 0));
        server.reload(withOther.withResolvers(Map.of("other", other)));
        assertEquals(2, fake.watches.size(), "the watch restarted");
        fake.emit(HOST, FakeDiscovery.set(HOST, a.port(), c.port()));
        Upstream uc = at(c);
        assertFalse(uc.healthy(), "never checked: down until its first check passes");
        assertFalse(pool().selection().members().contains(uc), uc.toString());
        assertEquals(List.of("a", "a"), send(2));
    }

    /** The operator drains a DNS-discovered upstream; its address leaves the answer for one resolution and comes back. */
    @Test
    void anOperatorsDrainSurvivesTheAddressLeavingAndComingBack() throws Exception {
        ScriptedUpstream a = upstream("a");
        ScriptedUpstream b = upstream("b");
        start(ProxyConfig.to());
        fake.emit(HOST, FakeDiscovery.set(HOST, a.port(), b.port()));
        server.setAdminState(at(b), AdminState.DRAIN);
        fake.emit(HOST, FakeDiscovery.set(HOST, a.port()));
        fake.emit(HOST, FakeDiscovery.set(HOST, a.port(), b.port()));
        assertEquals(AdminState.DRAIN, at(b).adminState(), "the operator's drain was undone by discovery");
        assertEquals(List.of("a", "a"), send(2));
    }

    @Test
    void addingAnUpstreamAtADiscoveredAddressOrNameIsRefused() throws Exception {
        ScriptedUpstream a = upstream("a");
        ScriptedUpstream b = upstream("b");
        start(ProxyConfig.to());
        fake.emit(HOST, FakeDiscovery.set(HOST, a.port(), b.port()));
        Upstream ub = at(b);
        server.setAdminState(ub, AdminState.DRAIN);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> server.addUpstream(ProxyConfig.POOL, new UpstreamConfig("x", "127.0.0.1", b.port(), 1)));
        assertEquals("pool " + ProxyConfig.POOL + " already has an upstream at 127.0.0.1:" + b.port() + " (" + ub.name() + ")", e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> server.addUpstream(ProxyConfig.POOL, new UpstreamConfig(ub.name(), "127.0.0.1", 1, 1)));
        assertFalse(ub.removed());
        assertEquals(AdminState.DRAIN, ub.adminState());
    }

    @Test
    void aDiscoveredUpstreamNoLongerShadowedTakesWhatItsSourceSaysOfIt() throws Exception {
        ScriptedUpstream a = upstream("a");
        ScriptedUpstream b = upstream("b");
        start(ProxyConfig.to(a));
        fake.emit(HOST, FakeDiscovery.set(HOST, List.of(a.port(), b.port()), Map.of(a.port(), Readiness.OUT)));
        Upstream listed = pool().upstreams().get(0);
        assertEquals("a", listed.name());
        server.removeUpstream(listed); // the file's entry goes; the source still finds a, NOT serving
        Upstream ua = at(a);
        assertEquals(Readiness.OUT, ua.discovery(), "the source says a is not serving, yet it is " + ua.state());
        assertEquals(List.of("b", "b"), send(2));
        fake.emit(HOST, FakeDiscovery.set(HOST, a.port(), b.port()));
        assertEquals(Readiness.READY, ua.discovery());
    }

    /**
     * A set of the old watch waits for the server's lock while a reload restarts the watch and the
     * new one applies a newer set: the old one, stopped, must not overwrite it.
     */
    @Test
    void aSetOfAStoppedWatchDoesNotOverwriteTheNewWatchsSet() throws Exception {
        ScriptedUpstream a = upstream("a");
        ScriptedUpstream b = upstream("b");
        ScriptedUpstream c = upstream("c");
        start(ProxyConfig.to());
        fake.emit(HOST, FakeDiscovery.set(HOST, a.port()));
        Thread old;
        synchronized (server) { // what a reload or another set holds
            FakeDiscovery.FakeWatch first = fake.open(HOST).get(0);
            old = new Thread(() -> first.listener.onChange(FakeDiscovery.set(HOST, a.port(), b.port())), "old-watch");
            old.start();
            Conditions.await("the old watch's set waits for the server's lock", () -> old.getState() == Thread.State.BLOCKED,
                    Duration.ofSeconds(10));
            DnsSettings other = DnsSettings.DEFAULTS.withName("other").withNameservers(List.of(new InetSocketAddress("127.0.0.1", 5353)));
            KodiakConfig withOther = withSources(ProxyConfig.to().build(), new DnsSource("app", HOST, 8000, false, "other", 1, 0));
            server.reload(withOther.withResolvers(Map.of("other", other)));
            assertTrue(first.closed, "the old watch stopped");
            fake.emit(HOST, FakeDiscovery.set(HOST, a.port(), c.port())); // the new watch, on this thread (the lock is reentrant)
        }
        old.join(10_000);
        assertFalse(old.isAlive());
        assertEquals(List.of("app[127.0.0.1:" + a.port() + "]", "app[127.0.0.1:" + c.port() + "]"),
                pool().upstreams().stream().map(Upstream::name).toList(), "the new watch's set stands");
    }

    /**
     * The control loop takes longer than its bound to apply a set (held up here by the pool's
     * lock): the caller gets an error and retries, the set applies meanwhile, and the retry, which
     * changes nothing, still brings the metrics in step.
     */
    @Test
    void aSetThatAppliedAfterTheControlLoopsBoundStillReachesTheMetrics() throws Exception {
        ScriptedUpstream a = upstream("a");
        ScriptedUpstream b = upstream("b");
        KodiakConfig c = withSources(ProxyConfig.to().build(), SOURCE);
        server = ProxyServer.startWithDiscovery(new KodiakConfig(null, c.listeners(), c.pools(), c.admin(),
                io.kodiak.config.MetricsConfig.DEFAULT, c.version(), c.shutdownGrace(), c.temp()), () -> fake);
        fake.emit(HOST, FakeDiscovery.set(HOST, a.port()));
        java.lang.reflect.Field f = ProxyServer.class.getDeclaredField("control");
        f.setAccessible(true);
        ((ControlLoop) f.get(server)).waitLimit(Duration.ofMillis(200));
        Thread emit;
        synchronized (pool()) { // the control loop's task blocks in PoolRuntime.rediscover: started, not done
            emit = new Thread(() -> fake.emit(HOST, FakeDiscovery.set(HOST, a.port(), b.port())), "emit");
            emit.start();
            emit.join(10_000);
            assertFalse(emit.isAlive(), "the set's apply gave up at the bound");
        }
        io.kodiak.metrics.MetricsRegistry m = server.metricsRegistry();
        javax.management.ObjectName ub = m.name("Upstream", "pool", ProxyConfig.POOL, "upstream", "app[127.0.0.1:" + b.port() + "]");
        Conditions.await("b applied and in the metrics", () -> pool().upstreams().size() == 2 && m.isRegistered(ub),
                Duration.ofSeconds(10));
    }
}
