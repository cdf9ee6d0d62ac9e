package io.kodiak.admin;

import io.kodiak.Kodiak;
import io.kodiak.config.ConfigException;
import io.kodiak.config.ConfigLoader;
import io.kodiak.testing.CtlRun;
import io.kodiak.testing.ScriptedUpstream;
import io.kodiak.upstream.AdminPresets;
import io.kodiak.upstream.AdminState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code admin.shared-state}: two Kodiak instances in this JVM share one in-memory document
 * ({@link FakeSharedState}, standing in for the ConfigMap): a drain or a weight set through one
 * reaches the other, the document wins at start, a failed write keeps the local change and says
 * so in the answer, and a text written before a local change cannot undo it.
 */
@Timeout(60)
class SharedAdminSyncTest {
    @TempDir
    Path dir;
    private final List<ScriptedUpstream> ups = new ArrayList<>();
    private final List<Kodiak> kodiaks = new ArrayList<>();
    private FakeSharedState shared;

    @AfterEach
    void stop() {
        kodiaks.forEach(Kodiak::close);
        ups.forEach(ScriptedUpstream::close);
        if (shared != null) {
            shared.close();
        }
    }

    private Kodiak[] start(int n, String initial) throws Exception {
        ups.add(ScriptedUpstream.start("a"));
        ups.add(ScriptedUpstream.start("b"));
        shared = new FakeSharedState(initial);
        for (int i = 0; i < n; i++) {
            kodiaks.add(Kodiak.start(ConfigLoader.parse(CtlFanoutTest.yaml("  shared-state: {configmap: kodiak-admin-state, namespace: shop}\n", ups.get(0), ups.get(1)), dir.resolve("k" + i + ".yaml")), c -> shared.view()));
        }
        return kodiaks.toArray(Kodiak[]::new);
    }

    private static void await(String what, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!done.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "not within 10 s: " + what);
            Thread.sleep(20);
        }
    }

    private Map<String, Object> ctlJson(Kodiak k, String... args) throws Json.ParseException {
        List<String> line = new ArrayList<>(List.of(args));
        line.addAll(List.of("--json", "--admin", "127.0.0.1:" + k.adminAddress().getPort(), "--token", CtlFanoutTest.TOKEN));
        CtlRun r = CtlRun.run(name -> null, line.toArray(String[]::new));
        assertEquals(Ctl.OK, r.code(), r.err());
        return Ctl.map(Json.parse(r.out()));
    }

    @Test
    void aDrainOrAWeightSetThroughOneInstanceReachesTheOther() throws Exception {
        Kodiak[] k = start(2, null);
        Map<String, Object> drained = ctlJson(k[0], "drain", "p", "a");
        assertEquals("ok", drained.get("shared"), drained.toString());
        await("b's view of a is DRAIN", () -> k[1].upstream("p", "a").adminState() == AdminState.DRAIN);
        assertTrue(shared.text().contains("\"upstream\": \"a\""), shared.text());

        Map<String, Object> weighted = ctlJson(k[1], "weight", "p", "b", "7");
        assertEquals("ok", weighted.get("shared"), weighted.toString());
        await("a's view of b has weight 7", () -> k[0].upstream("p", "b").weight() == 7);
        assertEquals(AdminState.DRAIN, k[0].upstream("p", "a").adminState(), "a's own drain stays");

        ctlJson(k[1], "ready", "p", "a");
        ctlJson(k[0], "weight", "p", "b", "configured");
        await("both back as configured", () -> k[0].upstream("p", "a").adminState() == AdminState.READY
                && !k[1].upstream("p", "b").weightOverridden());
        assertEquals(AdminState.READY, k[1].upstream("p", "a").adminState());
        assertEquals(List.of(), Ctl.list(Ctl.map(Json.parse(shared.text())).get("upstreams")), shared.text());
    }

    @Test
    void aDrainByAddressReachesTheOtherInstanceToo() throws Exception {
        Kodiak[] k = start(2, null);
        String address = ups.get(0).hostPort();
        ctlJson(k[0], "drain", address);
        await("b's view of a is DRAIN", () -> k[1].upstream("p", "a").adminState() == AdminState.DRAIN);
        assertTrue(shared.text().contains("\"address\": \"" + address + "\""), shared.text());
        ctlJson(k[1], "ready", address);
        await("a's view of a is READY", () -> k[0].upstream("p", "a").adminState() == AdminState.READY);
        assertEquals(List.of(), Ctl.list(Ctl.map(Json.parse(shared.text())).get("addresses")), shared.text());
    }

    @Test
    void theDocumentWinsAtStartAndAnEntryForAnUpstreamNotHereWaitsAsAPreset() throws Exception {
        String doc = """
                {"kodiak-state": 1, "upstreams": [
                  {"pool": "p", "upstream": "b", "state": "maint", "weight": null, "configured-weight": 1},
                  {"pool": "p", "upstream": "app[10.0.0.5:8000]", "state": "drain", "weight": null, "configured-weight": 1}
                ], "addresses": []}
                """;
        Kodiak[] k = start(1, doc);
        await("b in maint from the document", () -> k[0].upstream("p", "b").adminState() == AdminState.MAINT);
        assertEquals(AdminState.READY, k[0].upstream("p", "a").adminState());

        // The same document through a sync whose presets the test holds.
        AdminPresets presets = new AdminPresets();
        SharedAdminSync.Local local = new SharedAdminSync.Local() {
            @Override
            public java.util.Collection<io.kodiak.upstream.PoolRuntime> pools() {
                return k[0].pools();
            }

            @Override
            public void setAdminState(io.kodiak.upstream.Upstream u, AdminState state) {
                k[0].setAdminState(u, state);
            }

            @Override
            public void setWeight(io.kodiak.upstream.Upstream u, int weight) {
                k[0].setWeight(u, weight);
            }

            @Override
            public AdminPresets presets() {
                return presets;
            }

            @Override
            public void setAdminStateAt(String address, AdminState state) {
                k[0].setAdminStateAt(AddressKey.parse(address), state);
            }
        };
        try (SharedAdminSync sync = SharedAdminSync.start(shared.view(), local, "test")) {
            await("the discovered name waits as a preset", () -> presets.upstreams().containsKey("p/app[10.0.0.5:8000]"));
            assertEquals(AdminState.DRAIN, presets.upstreams().get("p/app[10.0.0.5:8000]").state(), sync.toString());
        }
    }

    @Test
    void aFailedWriteKeepsTheLocalChangeAndSaysSo() throws Exception {
        Kodiak[] k = start(2, null);
        shared.failWith = "configmaps \"kodiak-admin-state\" is forbidden";
        Map<String, Object> r = ctlJson(k[0], "drain", "p", "a");
        assertEquals("failed: configmaps \"kodiak-admin-state\" is forbidden", r.get("shared"), r.toString());
        assertEquals(AdminState.DRAIN, k[0].upstream("p", "a").adminState());
        assertEquals(AdminState.READY, k[1].upstream("p", "a").adminState());
        assertNull(shared.text());

        CtlRun text = CtlRun.run(name -> null, "weight", "p", "b", "3", "--admin", "127.0.0.1:" + k[0].adminAddress().getPort(),
                "--token", CtlFanoutTest.TOKEN);
        assertEquals(Ctl.OK, text.code(), text.err());
        assertTrue(text.err().startsWith("kodiak ctl: p/b: changed on this instance only; the shared admin state: failed: configmaps"),
                text.err());

        shared.failWith = null;
        shared.push("not json");
        ctlJson(k[1], "drain", "p", "b"); // refused to overwrite a text that is not ours: answered, local change kept
        assertEquals(AdminState.DRAIN, k[1].upstream("p", "b").adminState());
        assertEquals("not json", shared.text());
    }

    @Test
    void aTextWrittenBeforeALocalChangeCannotUndoIt() throws Exception {
        Kodiak[] k = start(1, null);
        shared.silent = true; // the write lands; its event is still on its way
        ctlJson(k[0], "drain", "p", "a");
        shared.silent = false;
        // Another instance's write, made before ours reached it: says nothing of a.
        shared.push("""
                {"kodiak-state": 1, "upstreams": [
                  {"pool": "p", "upstream": "b", "state": "maint", "weight": null, "configured-weight": 1}]}
                """);
        await("b in maint", () -> k[0].upstream("p", "b").adminState() == AdminState.MAINT);
        assertEquals(AdminState.DRAIN, k[0].upstream("p", "a").adminState());
    }

    @Test
    void theConfigNamesTheConfigMapAndRefusesWhatKubernetesWould() {
        ConfigException none = assertThrows(ConfigException.class, () -> ConfigLoader.parse("""
                admin:
                  shared-state: {namespace: shop}
                listeners: [{name: web, address: 127.0.0.1:0}]
                pools: {p: {upstreams: ["127.0.0.1:9"]}}
                """, dir.resolve("k.yaml")));
        assertTrue(none.getMessage().contains("k.yaml:2: admin.shared-state: needs configmap"), none.getMessage());
        ConfigException bad = assertThrows(ConfigException.class, () -> ConfigLoader.parse("""
                admin:
                  shared-state: {configmap: Kodiak_State}
                listeners: [{name: web, address: 127.0.0.1:0}]
                pools: {p: {upstreams: ["127.0.0.1:9"]}}
                """, dir.resolve("k.yaml")));
        assertTrue(bad.getMessage().contains("admin.shared-state.configmap: \"Kodiak_State\" is not a ConfigMap name"),
                bad.getMessage());
    }
}
