package io.kodiak.upstream;

import io.kodiak.config.BufferingConfig;
import io.kodiak.config.ConnectionPoolConfig;
import io.kodiak.config.DnsSource;
import io.kodiak.config.PoolConfig;
import io.kodiak.config.UpstreamConfig;
import io.kodiak.config.UpstreamSource;
import io.kodiak.config.UpstreamTimeouts;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link PoolRuntime#rediscover}: a source's set beside the file's list, matched by name and
 * address; SRV priority tiers as backups; admin presets for upstreams made later.
 */
class PoolRuntimeDiscoveryTest {
    private static final DnsSource APP = new DnsSource("app", "app.test", 8000, false, "default", 1, 0);
    private static final DnsSource SRV = new DnsSource("_http._tcp.app.test", "_http._tcp.app.test", 0, true, "default", 1, 0);

    private static PoolConfig config(List<UpstreamConfig> statics, UpstreamSource... sources) {
        return new PoolConfig("p", PoolConfig.Strategy.ROUND_ROBIN, statics, UpstreamTimeouts.DEFAULTS,
                ConnectionPoolConfig.DEFAULTS, BufferingConfig.defaults(), null).withSources(List.of(sources));
    }

    private static UpstreamConfig found(DnsSource s, int lastOctet, int port, int priority) {
        try {
            InetAddress a = InetAddress.getByAddress(new byte[] {10, 0, 0, (byte) lastOctet});
            String address = "10.0.0." + lastOctet + ":" + port;
            return new UpstreamConfig(s.name() + "[" + address + "]", s.host(), port, 1, 0, a, s.id(), null, priority);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static List<String> names(List<Upstream> us) {
        return us.stream().map(Upstream::name).toList();
    }

    private static List<String> members(PoolRuntime p) {
        return names(p.selection().members());
    }

    @Test
    void rediscoverKeepsTheStateOfAddressesThatStayAndRemovesTheOthers() {
        PoolRuntime p = new PoolRuntime(config(List.of(new UpstreamConfig("s", "127.0.0.1", 9001, 1)), APP), new SplittableRandom(1));
        List<Upstream> prepared = new ArrayList<>();
        PoolRuntime.Change first = p.rediscover(APP.id(), List.of(found(APP, 1, 8000, 0), found(APP, 2, 8000, 0)), prepared::add);
        assertEquals(List.of("app[10.0.0.1:8000]", "app[10.0.0.2:8000]"), names(first.added()));
        assertEquals(first.added(), prepared, "each added upstream is prepared before it is published");
        assertEquals(List.of("s", "app[10.0.0.1:8000]", "app[10.0.0.2:8000]"), names(p.upstreams()), "the file's first");
        Upstream one = p.upstreams().get(1);
        Upstream two = p.upstreams().get(2);
        one.setAdminState(AdminState.DRAIN);
        one.setHealthy(false);

        PoolRuntime.Change next = p.rediscover(APP.id(), List.of(found(APP, 1, 8000, 0), found(APP, 3, 8000, 0)), u -> { });
        assertEquals(List.of("app[10.0.0.3:8000]"), names(next.added()));
        assertEquals(List.of(two), next.removed());
        assertTrue(two.removed());
        assertSame(one, p.upstreams().get(1), "kept, with its admin state and health");
        assertEquals(AdminState.DRAIN, one.adminState());
        assertFalse(one.healthy());
        assertEquals(List.of("s", "app[10.0.0.3:8000]"), members(p));
    }

    @Test
    void aReloadKeepsTheSetOfASourceItKeepsAndDropsTheSetOfOneItDrops() {
        PoolConfig c = config(List.of(), APP);
        PoolRuntime p = new PoolRuntime(c, new SplittableRandom(1));
        p.rediscover(APP.id(), List.of(found(APP, 1, 8000, 0)), u -> { });
        Upstream one = p.upstreams().get(0);

        PoolRuntime.Change kept = p.reconfigure(config(List.of(new UpstreamConfig("s", "127.0.0.1", 9001, 1)), APP), u -> { });
        assertEquals(List.of(one), kept.kept());
        assertEquals(List.of("s", "app[10.0.0.1:8000]"), names(p.upstreams()));

        PoolRuntime.Change dropped = p.reconfigure(config(List.of(new UpstreamConfig("s", "127.0.0.1", 9001, 1))), u -> { });
        assertEquals(List.of(one), dropped.removed());
        assertTrue(p.discovered().isEmpty());
        PoolRuntime.Change late = p.rediscover(APP.id(), List.of(found(APP, 2, 8000, 0)), u -> { });
        assertTrue(late.added().isEmpty(), "an answer of a source the pool no longer has is ignored");
        assertEquals(List.of("s"), names(p.upstreams()));
    }

    @Test
    void anAddressListedInTheFileOrFoundByAnotherSourceIsOneUpstream() {
        UpstreamConfig listed = new UpstreamConfig("s", "10.0.0.1", 8000, 1);
        PoolRuntime p = new PoolRuntime(config(List.of(listed), APP, SRV), new SplittableRandom(1));
        p.rediscover(APP.id(), List.of(found(APP, 1, 8000, 0), found(APP, 2, 8000, 0)), u -> { });
        p.rediscover(SRV.id(), List.of(found(SRV, 2, 8000, 0), found(SRV, 3, 8000, 0)), u -> { });
        assertEquals(List.of("s", "app[10.0.0.2:8000]", "_http._tcp.app.test[10.0.0.3:8000]"), names(p.upstreams()));
    }

    @Test
    void srvPrioritiesMakeBackupsUsedOnlyWhenNoPreferredOneIsAvailable() {
        PoolRuntime p = new PoolRuntime(config(List.of(), SRV), new SplittableRandom(1));
        p.rediscover(SRV.id(), List.of(found(SRV, 1, 8001, 10), found(SRV, 2, 8001, 10), found(SRV, 3, 8001, 20)), u -> { });
        Upstream a = p.upstreams().get(0);
        Upstream b = p.upstreams().get(1);
        assertEquals(List.of("_http._tcp.app.test[10.0.0.1:8001]", "_http._tcp.app.test[10.0.0.2:8001]"), members(p),
                "priority 10 is used; 20 is the backup");
        a.setHealthy(false);
        p.refresh();
        assertEquals(List.of("_http._tcp.app.test[10.0.0.2:8001]"), members(p));
        b.setAdminState(AdminState.MAINT);
        p.refresh();
        assertEquals(List.of("_http._tcp.app.test[10.0.0.3:8001]"), members(p), "no preferred one left: the backup");
        a.setHealthy(true);
        p.refresh();
        assertEquals(List.of("_http._tcp.app.test[10.0.0.1:8001]"), members(p), "back to the preferred tier");
    }

    @Test
    void presetsReachUpstreamsMadeLaterByNameOrByAddress() {
        AdminPresets presets = new AdminPresets();
        presets.setUpstream("p", "app[10.0.0.1:8000]", new AdminPresets.Preset(AdminState.MAINT, -1, 0));
        presets.setAddress("10.0.0.2:8000", new AdminPresets.Preset(AdminState.DRAIN, 7, 0));
        PoolRuntime p = new PoolRuntime(config(List.of(), APP), new SplittableRandom(1));
        p.presets(presets);
        List<AdminState> atPrepare = new ArrayList<>();
        p.rediscover(APP.id(), List.of(found(APP, 1, 8000, 0), found(APP, 2, 8000, 0), found(APP, 3, 8000, 0)),
                u -> atPrepare.add(u.adminState()));
        assertEquals(List.of(AdminState.MAINT, AdminState.DRAIN, AdminState.READY), atPrepare,
                "in force before the upstream is published");
        assertEquals(7, p.upstreams().get(1).weight());
        assertEquals(List.of("app[10.0.0.3:8000]"), members(p));
        assertTrue(presets.upstreams().isEmpty(), "a name's preset is used up");
        assertEquals(1, presets.addresses().size(), "an address's stays for the next upstream there");
    }

    /** {@code config(...)} with a panic threshold. */
    private static PoolConfig withPanic(PoolConfig b, int threshold) {
        return new PoolConfig(b.name(), b.strategy(), b.upstreams(), b.timeouts(), b.connections(), b.buffering(),
                b.errorPage(), b.latencyDecay(), b.hash(), b.queue(), b.choiceCount(), b.healthCheck(), b.retries(),
                b.outlierDetection(), b.slowStart(), threshold, b.tls(), b.errorPages(), b.sources());
    }

    private static UpstreamConfig weighted(DnsSource s, int lastOctet, int weight) {
        UpstreamConfig f = found(s, lastOctet, 8001, 10);
        return new UpstreamConfig(f.name(), f.host(), f.port(), weight, 0, f.resolved(), f.source(), null, f.priority());
    }

    @Test
    void panicCountsEveryTierSoAPreferredTierMostlyDownSpillsToTheBackupsNotIntoItsDownOnes() {
        PoolRuntime p = new PoolRuntime(withPanic(config(List.of(), SRV), 50), new SplittableRandom(1));
        List<UpstreamConfig> set = new ArrayList<>();
        for (int i = 1; i <= 8; i++) {
            set.add(found(SRV, i, 8001, i <= 4 ? 10 : 20));
        }
        p.rediscover(SRV.id(), set, u -> { });
        for (int i = 1; i < 4; i++) {
            p.upstreams().get(i).setHealthy(false); // 3 of the 4 preferred ones are DOWN; 5 of 8 are up
        }
        p.refresh();
        assertFalse(p.selection().panic(), "5 of 8 up is above 50%");
        assertEquals(List.of("_http._tcp.app.test[10.0.0.1:8001]"), members(p), "the preferred tier's one that is up, none of its DOWN ones");

        for (int i = 4; i < 8; i++) {
            p.upstreams().get(i).setHealthy(false); // 1 of 8 up: a panic is due
        }
        p.refresh();
        assertTrue(p.selection().panic());
        assertTrue(p.selection().members().size() > 1, members(p).toString());
    }

    @Test
    void anOperatorsWeightSurvivesAnSrvWeightChangeButAFilesWeightChangeDropsIt() {
        PoolRuntime p = new PoolRuntime(config(List.of(new UpstreamConfig("s", "127.0.0.1", 9001, 1)), SRV), new SplittableRandom(1));
        // SRV 10:10 -> 1000:1000 (SrvWeights scales each tier to its largest)
        p.rediscover(SRV.id(), List.of(weighted(SRV, 2, 1000), weighted(SRV, 3, 1000)), u -> { });
        Upstream two = p.upstreams().get(1);
        two.setRuntimeWeight(0); // kodiak ctl weight ... 0: HAProxy's "set weight 0", a drain
        // The DNS admin raises .3's SRV weight to 30: .2 rescales to 333 though nobody touched its record.
        p.rediscover(SRV.id(), List.of(weighted(SRV, 2, 333), weighted(SRV, 3, 1000)), u -> { });
        assertEquals(0, two.weight(), "the operator's weight 0 was dropped by an SRV weight change");
        assertFalse(p.selection().members().contains(two));

        Upstream s = p.upstreams().get(0);
        s.setRuntimeWeight(7);
        p.reconfigure(config(List.of(new UpstreamConfig("s", "127.0.0.1", 9001, 3)), SRV), u -> { });
        assertEquals(3, s.weight(), "the file's author changed the weight: theirs wins, as before");
    }

    @Test
    void anUpstreamMadeByAReloadTakesWhatItsSourceSaysOfIt() {
        UpstreamConfig listed = new UpstreamConfig("s", "10.0.0.1", 8000, 1);
        PoolRuntime p = new PoolRuntime(config(List.of(listed), APP), new SplittableRandom(1));
        PoolRuntime.Change first = p.rediscover(APP.id(), List.of(found(APP, 1, 8000, 0), found(APP, 2, 8000, 0)),
                java.util.Map.of("app[10.0.0.1:8000]", io.kodiak.discovery.Readiness.OUT), u -> { });
        assertEquals(List.of("app[10.0.0.2:8000]"), names(first.added()), "10.0.0.1 is the file's");
        PoolRuntime.Change unshadowed = p.reconfigure(config(List.of(), APP), u -> { }); // the file's entry goes
        Upstream one = unshadowed.added().get(0);
        assertEquals("app[10.0.0.1:8000]", one.name());
        assertEquals(io.kodiak.discovery.Readiness.OUT, one.discovery(), "the source said it is not serving");
        assertEquals(List.of("app[10.0.0.2:8000]"), members(p));

        PoolRuntime.Change ready = p.rediscover(APP.id(), List.of(found(APP, 1, 8000, 0), found(APP, 2, 8000, 0)), u -> { });
        assertEquals(java.util.Map.of(one, io.kodiak.discovery.Readiness.OUT), ready.moved(), "kept, with what it was");
        assertEquals(io.kodiak.discovery.Readiness.READY, one.discovery());
        assertEquals(List.of("app[10.0.0.1:8000]", "app[10.0.0.2:8000]"), members(p));
    }

    @Test
    void theOperatorsStateOfADnsUpstreamWaitsForItsAddressToComeBackButNotAPodsIp() {
        io.kodiak.config.KubernetesSource web = new io.kodiak.config.KubernetesSource("web", "shop", "web", "http", 1, 0);
        AdminPresets presets = new AdminPresets();
        PoolRuntime p = new PoolRuntime(config(List.of(), APP, web), new SplittableRandom(1));
        p.presets(presets);
        UpstreamConfig pod = new UpstreamConfig("web[10.0.1.1:8080]", "10.0.1.1", 8080, 1, 0, found(APP, 9, 8080, 0).resolved(),
                web.id(), null, 0);
        p.rediscover(APP.id(), List.of(found(APP, 1, 8000, 0), found(APP, 2, 8000, 0)), u -> { });
        p.rediscover(web.id(), List.of(pod), u -> { });
        p.upstreams().get(1).setAdminState(AdminState.DRAIN);
        p.upstreams().get(0).setRuntimeWeight(5);
        p.upstreams().get(2).setAdminState(AdminState.MAINT);

        p.rediscover(APP.id(), List.of(), u -> { });
        p.rediscover(web.id(), List.of(), u -> { });
        assertEquals(java.util.Set.of("p/app[10.0.0.1:8000]", "p/app[10.0.0.2:8000]"), presets.upstreams().keySet(),
                "a pod's IP goes to the next pod: its drain is not kept");
        p.rediscover(APP.id(), List.of(found(APP, 1, 8000, 0), found(APP, 2, 8000, 0)), u -> { });
        p.rediscover(web.id(), List.of(pod), u -> { });
        assertEquals(5, p.upstreams().get(0).weight());
        assertEquals(AdminState.READY, p.upstreams().get(0).adminState());
        assertEquals(AdminState.DRAIN, p.upstreams().get(1).adminState(), "drained again when the address is back");
        assertEquals(AdminState.READY, p.upstreams().get(2).adminState(), "a new pod at an old IP");
        assertTrue(presets.upstreams().isEmpty(), "used up");

        p.upstreams().get(1).setAdminState(AdminState.READY);
        p.upstreams().get(0).setRuntimeWeight(-1);
        p.rediscover(APP.id(), List.of(), u -> { });
        assertTrue(presets.upstreams().isEmpty(), "READY at the configured weight: nothing to keep");
    }

    @Test
    void rememberedStatesAreBoundedAndGoAfterADay() {
        AdminPresets presets = new AdminPresets();
        long t0 = 1_000_000_000L;
        AdminPresets.Preset drain = new AdminPresets.Preset(AdminState.DRAIN, -1, t0);
        presets.remember("p", "old", drain);
        for (int i = 0; i < AdminPresets.MAX_REMEMBERED; i++) {
            presets.remember("p", "u" + i, new AdminPresets.Preset(AdminState.DRAIN, -1, t0 + 1 + i));
        }
        assertEquals(AdminPresets.MAX_REMEMBERED, presets.upstreams().size());
        assertFalse(presets.upstreams().containsKey("p/old"), "the oldest made room");
        presets.remember("p", "late", new AdminPresets.Preset(AdminState.MAINT, -1, t0 + AdminPresets.LIFETIME.toMillis() + 10_000));
        assertEquals(java.util.Set.of("p/late"), presets.upstreams().keySet(), "those a day old are gone");
    }
}
