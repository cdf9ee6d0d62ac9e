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
}
