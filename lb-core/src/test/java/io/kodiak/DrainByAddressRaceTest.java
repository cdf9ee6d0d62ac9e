package io.kodiak;

import io.kodiak.admin.AddressKey;
import io.kodiak.config.ConfigLoader;
import io.kodiak.config.UpstreamConfig;
import io.kodiak.testing.Monitors;
import io.kodiak.upstream.AdminState;
import io.kodiak.upstream.PoolRuntime;
import io.kodiak.upstream.Upstream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A drain by address racing with a discovered set: the set is applied under the server's lock
 * ({@code ProxyServer.applyDiscovered}), and between reading an upstream's preset and publishing it
 * the drain must not slip through, or the upstream it returned as drained (or as preset) stays ready.
 */
@Timeout(60)
class DrainByAddressRaceTest {
    @TempDir
    Path dir;

    @Test
    void aDrainByAddressWaitsForADiscoveredSetBeingAppliedAndReachesItsUpstream() throws Exception {
        Kodiak k = Kodiak.start(ConfigLoader.parse("""
                admin: {listen: off, state-file: off}
                metrics: off
                resolvers:
                  none: {nameservers: ["127.0.0.1:9"], timeout: 1s, attempts: 1}
                listeners: [{address: "127.0.0.1:0", routes: [{path-prefix: /, pool: app}]}]
                pools:
                  app:
                    upstreams: [{address: "app.invalid:8000", resolve: true, resolver: none}]
                    health-check: {type: none}
                """, dir.resolve("kodiak.yaml")));
        CountDownLatch go = new CountDownLatch(1);
        try {
            PoolRuntime p = k.pools().iterator().next();
            String source = p.config().sources().get(0).id();
            UpstreamConfig at = new UpstreamConfig("app.invalid:8000[127.0.0.7:8000]", "app.invalid", 8000, 1, 0,
                    InetAddress.getByName("127.0.0.7"), source, null, 0);
            CountDownLatch made = new CountDownLatch(1);
            // As applyDiscovered does: under the server's lock. The upstream is made (its preset read)
            // and waits for go before the pool publishes it.
            CompletableFuture<Void> discovery = CompletableFuture.runAsync(() -> k.server().underLock(() -> p.rediscover(source,
                    List.of(at), u -> {
                        made.countDown();
                        await(go);
                    })));
            assertTrue(made.await(10, TimeUnit.SECONDS));

            CompletableFuture<Object> drained = new CompletableFuture<>();
            Thread admin = new Thread(() -> {
                try {
                    drained.complete(k.setAdminStateAt(AddressKey.parse("127.0.0.7:8000"), AdminState.DRAIN));
                } catch (RuntimeException e) {
                    // The upstream was made outside the Reloader (no connection pool): closing its idle
                    // connections fails after its state is set. Not the point here.
                    drained.complete(e);
                }
            }, "admin");
            admin.start();
            boolean waited = Monitors.awaitBlockedOn(admin, k.server(), Duration.ofSeconds(10));
            go.countDown();
            discovery.get(10, TimeUnit.SECONDS);
            Object result = drained.get(10, TimeUnit.SECONDS);
            Upstream u = p.upstreams().stream().filter(x -> x.addressText().equals("127.0.0.7:8000")).findFirst().orElseThrow();
            assertEquals(AdminState.DRAIN, u.adminState(), "the drain returned (" + result + ") yet the upstream is "
                    + u.adminState());
            assertTrue(waited, "the drain waited for the set being applied");
        } finally {
            go.countDown();
            k.close();
        }
    }

    private static void await(CountDownLatch l) {
        try {
            l.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
