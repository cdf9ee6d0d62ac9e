package io.kodiak.admin;

import io.kodiak.config.ConfigLoader;
import io.kodiak.config.DnsSource;
import io.kodiak.config.PoolConfig;
import io.kodiak.config.UpstreamConfig;
import io.kodiak.upstream.AdminPresets;
import io.kodiak.upstream.AdminState;
import io.kodiak.upstream.PoolRuntime;
import io.kodiak.upstream.Upstream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The state file's presets (design §1.6, B4): a drain of a discovered upstream, or of an address,
 * survives a restart that happens before DNS answers, and reaches the upstream when the pool
 * makes it ({@link PoolRuntime#rediscover}); presets older than 24 h are dropped; old files load.
 */
class StateFilePresetsTest {
    private static final DnsSource SOURCE = new DnsSource("app", "app.test", 8000, false, "default", 1, 0);
    private static final long NOW = Instant.parse("2026-12-05T09:00:00Z").toEpochMilli();
    @TempDir
    Path dir;

    private static PoolRuntime pool() throws Exception {
        PoolConfig pc = ConfigLoader.parse("""
                listeners: [{address: "127.0.0.1:0", routes: [{path-prefix: /, pool: app}]}]
                pools:
                  app:
                    upstreams: [127.0.0.1:9001]
                    health-check: {type: none}
                """, Path.of("kodiak.yaml")).pools().get("app");
        return new PoolRuntime(pc.withSources(List.of(SOURCE)), new SplittableRandom(1));
    }

    /** {@link #pool()} taking its admin states from {@code presets}. */
    private static PoolRuntime pool(AdminPresets presets) throws Exception {
        PoolRuntime p = pool();
        p.presets(presets);
        return p;
    }

    private static UpstreamConfig found(String ip) throws Exception {
        return new UpstreamConfig("app[" + ip + ":8000]", "app.test", 8000, 1, 0, InetAddress.getByName(ip), SOURCE.id(), null, 0);
    }

    private static Upstream named(PoolRuntime p, String name) {
        return p.upstreams().stream().filter(u -> u.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void aDiscoveredUpstreamsDrainAndAnAddressDrainSurviveARestartBeforeDnsAnswers() throws Exception {
        StateFile file = new StateFile(dir.resolve("kodiak.state.json"));
        long since = NOW - Duration.ofHours(1).toMillis();
        file.write(new StateFile.Saved(
                List.of(new StateFile.Entry("app", "app[10.0.0.5:8000]", AdminState.DRAIN, 3, 1, since),
                        new StateFile.Entry("app", "gone", AdminState.MAINT, -1, 1)),
                List.of(new StateFile.AddressEntry("10.0.0.6:8000", AdminState.MAINT, since))));

        // The restart: the pool has only its file's upstream; DNS has not answered.
        AdminPresets presets = new AdminPresets();
        PoolRuntime p = pool(presets);
        StateFile.apply(file.load(), Map.of("app", p), presets, NOW);
        assertEquals(List.of("127.0.0.1:9001"), p.upstreams().stream().map(Upstream::name).toList());
        assertEquals(AdminState.READY, named(p, "127.0.0.1:9001").adminState(), "not at a preset address");

        // Saved again before DNS answers (another admin change): the presets are written back, the
        // entry of a plain upstream no longer configured is not.
        StateFile.Saved pending = StateFile.capture(List.of(p), presets);
        assertEquals(List.of(new StateFile.Entry("app", "app[10.0.0.5:8000]", AdminState.DRAIN, 3, -1, since)), pending.upstreams());
        assertEquals(List.of(new StateFile.AddressEntry("10.0.0.6:8000", AdminState.MAINT, since)), pending.addresses());
        file.write(pending);
        assertEquals(pending, file.load(), "round trip");

        // DNS answers: each upstream starts in its preset state, before it can take a request.
        p.rediscover(SOURCE.id(), List.of(found("10.0.0.5"), found("10.0.0.6"), found("10.0.0.7")), u -> { });
        assertEquals(AdminState.DRAIN, named(p, "app[10.0.0.5:8000]").adminState());
        assertEquals(3, named(p, "app[10.0.0.5:8000]").weight());
        assertEquals(AdminState.MAINT, named(p, "app[10.0.0.6:8000]").adminState(), "by address");
        assertEquals(AdminState.READY, named(p, "app[10.0.0.7:8000]").adminState());
        assertTrue(presets.upstreams().isEmpty(), "a name's preset is used up");

        StateFile.Saved after = StateFile.capture(List.of(p), presets);
        assertEquals(List.of("app[10.0.0.5:8000] drain", "app[10.0.0.6:8000] maint"),
                after.upstreams().stream().map(e -> e.upstream() + " " + e.state().apiName()).toList());
        assertEquals(1, after.addresses().size(), "the address keeps its preset for upstreams made there later");
    }

    @Test
    void presetsOlderThanADayAreDroppedAtLoad() throws Exception {
        long old = NOW - Duration.ofHours(25).toMillis();
        StateFile.Saved saved = new StateFile.Saved(
                List.of(new StateFile.Entry("app", "app[10.0.0.5:8000]", AdminState.DRAIN, -1, -1, old)),
                List.of(new StateFile.AddressEntry("10.0.0.6:8000", AdminState.DRAIN, old)));
        AdminPresets presets = new AdminPresets();
        PoolRuntime p = pool(presets);
        StateFile.apply(saved, Map.of("app", p), presets, NOW);
        assertTrue(presets.upstreams().isEmpty());
        assertTrue(presets.addresses().isEmpty());
        p.rediscover(SOURCE.id(), List.of(found("10.0.0.5"), found("10.0.0.6")), u -> { });
        assertTrue(p.upstreams().stream().allMatch(u -> u.adminState() == AdminState.READY));
    }

    @Test
    void anUpstreamSetReadyAtADrainedAddressStaysReadyAcrossARestart() throws Exception {
        AdminPresets presets = new AdminPresets();
        PoolRuntime p = pool(presets);
        presets.setAddress("127.0.0.1:9001", new AdminPresets.Preset(AdminState.DRAIN, -1, NOW));
        StateFile.Saved saved = StateFile.capture(List.of(p), presets);
        assertEquals(List.of(new StateFile.Entry("app", "127.0.0.1:9001", AdminState.READY, -1, 1)), saved.upstreams(),
                "the operator's ready on this one upstream is kept against its address's drain");

        AdminPresets nextPresets = new AdminPresets();
        PoolRuntime next = pool(nextPresets);
        StateFile.apply(saved, Map.of("app", next), nextPresets, NOW);
        assertEquals(AdminState.READY, named(next, "127.0.0.1:9001").adminState());

        // Without that entry (an upstream new in the file at a drained address), the address's drain holds.
        AdminPresets thirdPresets = new AdminPresets();
        PoolRuntime third = pool(thirdPresets);
        StateFile.apply(new StateFile.Saved(List.of(), saved.addresses()), Map.of("app", third), thirdPresets, NOW);
        assertEquals(AdminState.DRAIN, named(third, "127.0.0.1:9001").adminState());
    }

    @Test
    void aFileWithoutAddressesStillLoadsAndABadAddressIsNamed() throws Exception {
        Path f = dir.resolve("old.json");
        Files.writeString(f, """
                {"kodiak-state": 1, "upstreams": [
                  {"pool": "app", "upstream": "web-2", "state": "drain", "weight": null, "configured-weight": 1}]}
                """);
        StateFile.Saved saved = new StateFile(f).load();
        assertEquals(List.of(new StateFile.Entry("app", "web-2", AdminState.DRAIN, -1, 1)), saved.upstreams());
        assertTrue(saved.addresses().isEmpty());

        Files.writeString(f, """
                {"kodiak-state": 1, "upstreams": [], "addresses": [{"address": "nope", "state": "drain", "since": "2026-12-05T09:00:00Z"}]}
                """);
        java.io.IOException e = assertThrows(java.io.IOException.class, () -> new StateFile(f).load());
        assertTrue(e.getMessage().startsWith("state file " + f + ": addresses[0].address: \"nope\" is not host:port"), e.getMessage());

        Files.writeString(f, """
                {"kodiak-state": 1, "upstreams": [], "addresses": [{"address": "10.0.0.5:80", "state": "drain", "since": "yesterday"}]}
                """);
        e = assertThrows(java.io.IOException.class, () -> new StateFile(f).load());
        assertTrue(e.getMessage().contains("addresses[0].since: expected a time"), e.getMessage());
    }

    @Test
    void addressesAreReadAsUpstreamAddressesAre() {
        assertEquals("10.0.0.5:8000", AddressKey.parse(" 10.0.0.5:8000 ").text());
        assertEquals("[::1]:8000", AddressKey.parse("[::1]:8000").text());
        // One spelling for one address (RFC 5952), whichever the operator typed.
        assertEquals(List.of("[::1]:8000"), List.copyOf(AddressKey.parse("[::1]:8000").presetKeys()));
        assertEquals(List.of("[::1]:8000"), List.copyOf(AddressKey.parse("[0:0:0:0:0:0:0:1]:8000").presetKeys()));
        assertEquals("[fd00::5]:8000", AddressKey.parse("[FD00:0:0:0:0:0:0:5]:8000").text());
        assertEquals("app1.internal:8000", AddressKey.parse("App1.Internal:8000").text());
        assertEquals("unix:/run/g.sock", AddressKey.parse("unix:/run/g.sock").text());
        assertNull(AddressKey.parse("unix:/run/g.sock").literal());
        for (String bad : List.of("", "nope", "10.0.0.5", "10.0.0.256:80", "10.0.0.5:0", "unix:relative", "[::1:80")) {
            assertThrows(IllegalArgumentException.class, () -> AddressKey.parse(bad), bad);
        }
    }

    /** A discovered upstream the operator set ready at a drained address: the ready entry outlives a restart before DNS answers. */
    @Test
    void aDiscoveredUpstreamSetReadyAtADrainedAddressStaysReadyAcrossARestart() throws Exception {
        AdminPresets presets = new AdminPresets();
        PoolRuntime p = pool(presets);
        presets.setAddress("10.0.0.5:8000", new AdminPresets.Preset(AdminState.DRAIN, -1, NOW));
        p.rediscover(SOURCE.id(), List.of(found("10.0.0.5")), u -> { });
        Upstream u = named(p, "app[10.0.0.5:8000]");
        assertEquals(AdminState.DRAIN, u.adminState());
        u.setAdminState(AdminState.READY); // the operator: this pool may use it again
        StateFile.Saved saved = StateFile.capture(List.of(p), presets);

        // Restart before DNS answers: the ready entry waits as a preset, and is written back while it waits.
        AdminPresets qp = new AdminPresets();
        PoolRuntime q = pool(qp);
        StateFile.apply(saved, Map.of("app", q), qp, NOW);
        assertEquals(List.of(new StateFile.Entry("app", "app[10.0.0.5:8000]", AdminState.READY, -1, -1, NOW)),
                StateFile.capture(List.of(q), qp).upstreams());
        q.rediscover(SOURCE.id(), List.of(found("10.0.0.5")), x -> { });
        assertEquals(AdminState.READY, named(q, "app[10.0.0.5:8000]").adminState(),
                "the saved ready entry (" + saved.upstreams() + ") beats the address preset");
        q.rediscover(SOURCE.id(), List.of(found("10.0.0.6")), x -> { });
        q.rediscover(SOURCE.id(), List.of(found("10.0.0.5")), x -> { });
        assertEquals(AdminState.DRAIN, named(q, "app[10.0.0.5:8000]").adminState(), "used up: made again, the address's drain holds");
    }

    /** Unix socket paths are file names: a drain of /tmp/kodiak/A.sock does not reach /tmp/kodiak/a.sock. */
    @Test
    void aUnixPathMatchesOnlyItsOwnCase() {
        Upstream lower = new Upstream("p", new UpstreamConfig("a", "localhost", 0, 1, 0, null, null, "/tmp/kodiak/a.sock", 0));
        assertFalse(AddressKey.parse("unix:/tmp/kodiak/A.sock").matches(lower), "another socket file");
        assertTrue(AddressKey.parse("unix:/tmp/kodiak/a.sock").matches(lower));
        AdminPresets presets = new AdminPresets();
        presets.setAddress(AddressKey.parse("unix:/tmp/kodiak/A.sock").text(), new AdminPresets.Preset(AdminState.DRAIN, -1, NOW));
        presets.applyTo(lower);
        assertEquals(AdminState.READY, lower.adminState());
    }

    /** A name's drain is kept in lower case; an upstream configured as LocalHost:9002 takes it, and its ready is saved against it. */
    @Test
    void aNamePresetReachesAnUpstreamWrittenInAnotherCase() throws Exception {
        AdminPresets presets = new AdminPresets();
        presets.setAddress(AddressKey.parse("LOCALHOST:9002").text(), new AdminPresets.Preset(AdminState.DRAIN, -1, NOW));
        Upstream u = new Upstream("p", new UpstreamConfig("late", "LocalHost", 9002, 1));
        assertTrue(AddressKey.parse("localhost:9002").matches(u), "the live match says it is there");
        presets.applyTo(u);
        assertEquals(AdminState.DRAIN, u.adminState(), "and so does the preset");

        PoolRuntime p = new PoolRuntime(ConfigLoader.parse("""
                listeners: [{address: "127.0.0.1:0", routes: [{path-prefix: /, pool: app}]}]
                pools:
                  app:
                    upstreams: [{address: "LocalHost:9002", name: late}]
                    health-check: {type: none}
                """, Path.of("kodiak.yaml")).pools().get("app"), new SplittableRandom(1));
        p.presets(presets);
        assertEquals(AdminState.DRAIN, p.upstreams().get(0).adminState());
        p.upstreams().get(0).setAdminState(AdminState.READY); // the operator: this one may serve
        assertEquals(List.of(new StateFile.Entry("app", "late", AdminState.READY, -1, 1)), StateFile.capture(List.of(p), presets).upstreams(),
                "the operator's ready is kept against the drain of its address");
    }

    /** A file written with another spelling of an address (by hand, or before one spelling) loads as the one preset. */
    @Test
    void addressesInTheFileAreReadInTheirOneSpelling() {
        AdminPresets presets = new AdminPresets();
        StateFile.apply(new StateFile.Saved(List.of(), List.of(
                new StateFile.AddressEntry("[FD00:0:0:0:0:0:0:5]:8000", AdminState.DRAIN, NOW),
                new StateFile.AddressEntry("App1.Internal:8000", AdminState.MAINT, NOW))), Map.of(), presets, NOW);
        assertEquals(java.util.Set.of("[fd00::5]:8000", "app1.internal:8000"), presets.addresses().keySet());
    }

    /**
     * Two saves racing (admin API workers): the second's snapshot is taken only once the first has
     * written, so the file never ends with the older of two snapshots.
     */
    @Test
    void aSaveTakesItsSnapshotUnderTheFilesLock() throws Exception {
        StateFile file = new StateFile(dir.resolve("kodiak.state.json"));
        StateFile.Saved older = new StateFile.Saved(List.of(new StateFile.Entry("app", "a", AdminState.DRAIN, -1, 1)), List.of());
        StateFile.Saved newer = new StateFile.Saved(List.of(new StateFile.Entry("app", "a", AdminState.DRAIN, -1, 1),
                new StateFile.Entry("app", "b", AdminState.MAINT, -1, 1)), List.of());
        java.util.concurrent.CountDownLatch inFirst = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean secondTaken = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.CompletableFuture<Void> first = java.util.concurrent.CompletableFuture.runAsync(() -> save(file, () -> {
            inFirst.countDown();
            await(release);
            return older;
        }));
        try {
            assertTrue(inFirst.await(10, java.util.concurrent.TimeUnit.SECONDS));
            Thread second = new Thread(() -> save(file, () -> {
                secondTaken.set(true);
                return newer;
            }), "second save");
            second.start();
            assertTrue(io.kodiak.testing.Monitors.awaitBlockedOn(second, file, Duration.ofSeconds(10)), "the second save waits for the first");
            assertFalse(secondTaken.get(), "with its snapshot not taken yet");
            release.countDown();
            first.get(10, java.util.concurrent.TimeUnit.SECONDS);
            second.join(10_000);
            assertEquals(newer, file.load());
        } finally {
            release.countDown();
        }
    }

    private static void save(StateFile file, java.util.function.Supplier<StateFile.Saved> snapshot) {
        try {
            file.save(snapshot);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void await(java.util.concurrent.CountDownLatch l) {
        try {
            l.await(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
