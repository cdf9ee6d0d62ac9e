package io.kodiak.proxy;

import io.kodiak.Kodiak;
import io.kodiak.admin.AdminServer;
import io.kodiak.admin.Ctl;
import io.kodiak.admin.Json;
import io.kodiak.config.AdminConfig;
import io.kodiak.testing.Loopback;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.ScriptedUpstream;
import io.kodiak.upstream.AdminState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code kodiak ctl} against a running admin API: its output, and exit codes scripts can trust. */
@Timeout(60)
class CtlTest {
    private final List<ScriptedUpstream> ups = new ArrayList<>();
    private Kodiak kodiak;
    private final Map<String, String> env = new HashMap<>();
    @TempDir
    Path dir;

    record Run(int code, String out, String err) {
    }

    @AfterEach
    void stop() {
        if (kodiak != null) {
            kodiak.close();
        }
        ups.forEach(ScriptedUpstream::close);
    }

    private void start(ScriptedUpstream... upstreams) throws IOException {
        ups.addAll(List.of(upstreams));
        kodiak = Kodiak.start(ProxyConfig.to(upstreams).build()
                .withAdmin(new AdminConfig(Loopback.at(0), AdminApiTest.TOKEN, null)));
        env.put("KODIAK_ADMIN", "127.0.0.1:" + kodiak.adminAddress().getPort());
        env.put("KODIAK_ADMIN_TOKEN", AdminApiTest.TOKEN);
        env.put("KODIAK_HOME", dir.toString());
    }

    private Run ctl(String... args) {
        io.kodiak.testing.CtlRun r = io.kodiak.testing.CtlRun.run(env::get, args);
        return new Run(r.code(), r.out(), r.err());
    }

    @Test
    void statusPrintsATableAndJsonForScripts() throws Exception {
        start(ScriptedUpstream.start("a"), ScriptedUpstream.start("b"));
        Run r = ctl("status");
        assertEquals(Ctl.OK, r.code(), r.err());
        String[] lines = r.out().split("\n");
        assertTrue(lines[0].startsWith("POOL  UPSTREAM  ADDRESS"), r.out());
        assertTrue(lines[1].matches("p +a +127\\.0\\.0\\.1:\\d+ +UP .*"), r.out());
        assertEquals(3, lines.length, r.out());
        Run json = ctl("status", "--json");
        Object parsed = Json.parse(json.out());
        assertTrue(parsed instanceof Map<?, ?> m && m.containsKey("pools"), json.out());
        assertEquals("a\nb\n", ctl("list", "p").out());
    }

    @Test
    void drainWaitReturnsZeroOnceDrainedAndThreeOnTimeout() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        ScriptedUpstream a = ScriptedUpstream.start("a", req -> {
            if (req.target().equals("/held")) {
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return ScriptedUpstream.defaultResponse("a", req);
        });
        start(a);
        try (RawClient held = RawClient.connect(kodiak.boundAddress(ProxyConfig.LISTENER).getPort())) {
            held.send("GET /held HTTP/1.1\r\nHost: x\r\n\r\n");
            Conditions.await("the request is in flight", () -> kodiak.upstream("p", "a").inFlight() == 1, Duration.ofSeconds(10));
            Run timedOut = ctl("drain", "p", "a", "--wait", "--timeout", "300ms");
            assertEquals(Ctl.TIMED_OUT, timedOut.code(), timedOut.out() + timedOut.err());
            assertTrue(timedOut.err().contains("p/a: still 1 request(s) in flight after 300ms"), timedOut.err());
            assertEquals(AdminState.DRAIN, kodiak.upstream("p", "a").adminState(), "the drain itself is in force");
            release.countDown();
            assertEquals(200, held.readResponse().status());
        }
        Run drained = ctl("drain", "p", "a", "--wait", "--timeout", "5s");
        assertEquals(Ctl.OK, drained.code(), drained.err());
        assertTrue(drained.out().contains("p/a: drained (nothing in flight)"), drained.out());
        Run ready = ctl("ready", "p", a.hostPort(), "--wait");
        assertEquals(Ctl.OK, ready.code(), ready.err());
        assertTrue(ready.out().contains("p/a: UP after"), ready.out());
    }

    @Test
    void refusalsUsageErrorsAndAnUnreachableApiHaveTheirOwnExitCodes() throws Exception {
        start(ScriptedUpstream.start("a"));
        Run unknown = ctl("drain", "nope", "a");
        assertEquals(Ctl.REFUSED, unknown.code());
        assertTrue(unknown.err().contains("no pool named \"nope\" (pools: p) (HTTP 404)"), unknown.err());
        Run badUpstream = ctl("maint", "p", "zz");
        assertEquals(Ctl.REFUSED, badUpstream.code());
        assertTrue(badUpstream.err().contains("pool p has no upstream \"zz\" (upstreams: a)"), badUpstream.err());

        env.remove("KODIAK_ADMIN_TOKEN");
        Run noToken = ctl("drain", "p", "a");
        assertEquals(Ctl.REFUSED, noToken.code());
        assertTrue(noToken.err().contains("need a bearer token"), noToken.err());
        Run wrong = ctl("--token", "wrong-token-wrong-token", "drain", "p", "a");
        assertEquals(Ctl.REFUSED, wrong.code());
        assertTrue(wrong.err().contains("wrong token (HTTP 403)"), wrong.err());
        assertEquals(AdminState.READY, kodiak.upstream("p", "a").adminState());
        env.put("KODIAK_ADMIN_TOKEN", AdminApiTest.TOKEN);

        assertEquals(Ctl.USAGE, ctl("drain", "p").code());
        assertEquals(Ctl.USAGE, ctl("frobnicate").code());
        assertEquals(Ctl.USAGE, ctl("weight", "p", "a", "heavy").code());
        assertEquals(Ctl.USAGE, ctl("drain", "p", "a", "--timeout", "forever").code());
        assertEquals(Ctl.OK, ctl("weight", "p", "a", "4").code());
        assertEquals(4, kodiak.upstream("p", "a").weight());
        assertEquals(Ctl.OK, ctl("weight", "p", "a", "configured").code());
        assertEquals(1, kodiak.upstream("p", "a").weight());

        ScriptedUpstream c = ScriptedUpstream.start("c");
        ups.add(c);
        Run added = ctl("add", "p", c.hostPort(), "c", "2");
        assertEquals(Ctl.OK, added.code(), added.err());
        assertTrue(added.out().startsWith("p/c: added at " + c.hostPort()), added.out());
        assertEquals(2, kodiak.upstream("p", "c").weight());
        assertEquals(Ctl.REFUSED, ctl("add", "p", "not-an-address").code());
        Run removed = ctl("remove", "p", "c");
        assertEquals(Ctl.OK, removed.code(), removed.err());
        assertEquals("p/c: removed, nothing in flight\n", removed.out());
        assertEquals(List.of("a"), kodiak.pool("p").upstreams().stream().map(io.kodiak.upstream.Upstream::name).toList());

        env.put("KODIAK_ADMIN", "127.0.0.1:" + ScriptedUpstream.unusedPort());
        Run away = ctl("status");
        assertEquals(Ctl.UNREACHABLE, away.code());
        assertTrue(away.err().contains("cannot reach the admin API"), away.err());
    }

    /** Flags stand before or after the command; --help and a flag the command does not take change nothing. */
    @Test
    void flagsStandAnywhereAndHelpOrAFlagOfAnotherCommandChangesNothing() throws Exception {
        start(ScriptedUpstream.start("a"));
        String admin = env.remove("KODIAK_ADMIN");
        Run before = ctl("--admin", admin, "--json", "weight", "p", "a", "2");
        assertEquals(Ctl.OK, before.code(), before.err());
        assertTrue(Json.parse(before.out()) instanceof Map<?, ?>, before.out());
        Run after = ctl("weight", "p", "a", "3", "--admin=" + admin);
        assertEquals(Ctl.OK, after.code(), after.err());
        assertEquals(3, kodiak.upstream("p", "a").weight());

        Run wrong = ctl("weight", "p", "a", "5", "--wait", "--admin", admin);
        assertEquals(Ctl.USAGE, wrong.code());
        assertTrue(wrong.err().startsWith("kodiak ctl: --wait: unknown flag (flags are --admin, --token, --json, --instances, --all, -h/--help)\n"
                + "usage: kodiak ctl weight POOL UPSTREAM N|configured"), wrong.err());
        Run help = ctl("drain", "p", "a", "--admin", admin, "--help");
        assertEquals(Ctl.OK, help.code(), help.err());
        assertTrue(help.out().startsWith("usage: kodiak ctl drain POOL UPSTREAM | ADDRESS [--wait] [--timeout D]"), help.out());
        assertEquals(3, kodiak.upstream("p", "a").weight());
        assertEquals(AdminState.READY, kodiak.upstream("p", "a").adminState());
    }

    @Test
    void withoutATokenCtlUsesTheTokenFileKodiakWrote() throws Exception {
        ScriptedUpstream a = ScriptedUpstream.start("a");
        ups.add(a);
        kodiak = Kodiak.start(ProxyConfig.to(a).build());
        AdminServer admin = AdminServer.start(kodiak, new AdminConfig(Loopback.at(0), null, null), null, dir);
        try {
            env.put("KODIAK_ADMIN", "127.0.0.1:" + admin.address().getPort());
            env.put("KODIAK_HOME", dir.toString());
            Run r = ctl("drain", "p", "a");
            assertEquals(Ctl.OK, r.code(), r.err());
            assertEquals(AdminState.DRAIN, kodiak.upstream("p", "a").adminState());
        } finally {
            admin.close();
        }
    }
}
