package io.kodiak.admin;

import io.kodiak.Kodiak;
import io.kodiak.config.ConfigLoader;
import io.kodiak.testing.CtlRun;
import io.kodiak.testing.ScriptedUpstream;
import io.kodiak.upstream.AdminState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code kodiak ctl --all} against three Kodiak instances in this JVM (the processes are
 * {@code e2e/SeveralInstancesTest}'s): every instance reached, output prefixed by the instance,
 * the worst exit code, status side by side, and the command lines it refuses.
 */
@Timeout(60)
class CtlFanoutTest {
    static final String TOKEN = "fanout-test-token-0123456789";
    @TempDir
    Path dir;
    private final List<ScriptedUpstream> ups = new ArrayList<>();
    private final List<Kodiak> kodiaks = new ArrayList<>();
    private final Map<String, String> env = new HashMap<>();

    @AfterEach
    void stop() {
        kodiaks.forEach(Kodiak::close);
        ups.forEach(ScriptedUpstream::close);
    }

    private String start(int instances) throws Exception {
        ScriptedUpstream a = ScriptedUpstream.start("a");
        ScriptedUpstream b = ScriptedUpstream.start("b");
        ups.add(a);
        ups.add(b);
        List<String> admins = new ArrayList<>();
        for (int i = 0; i < instances; i++) {
            Kodiak k = Kodiak.start(ConfigLoader.parse(yaml("", a, b), dir.resolve("k" + i + ".yaml")));
            kodiaks.add(k);
            admins.add("127.0.0.1:" + k.adminAddress().getPort());
        }
        env.put("KODIAK_ADMIN_TOKEN", TOKEN);
        env.put("KODIAK_HOME", dir.toString());
        return String.join(",", admins);
    }

    /** Pool p over a and b, the admin API on a port of its own with {@link #TOKEN}, and {@code adminKeys} (indented). */
    static String yaml(String adminKeys, ScriptedUpstream a, ScriptedUpstream b) {
        return """
                admin:
                  listen: 127.0.0.1:0
                  token: %s
                  state-file: off
                %smetrics: off
                listeners: [{name: web, address: 127.0.0.1:0}]
                pools:
                  p:
                    upstreams:
                      - {address: %s, name: a}
                      - {address: %s, name: b}
                """.formatted(TOKEN, adminKeys, a.hostPort(), b.hostPort());
    }

    private CtlRun ctl(String... args) {
        return CtlRun.run(env::get, args);
    }

    private String admin(int i) {
        return "127.0.0.1:" + kodiaks.get(i).adminAddress().getPort();
    }

    @Test
    void drainWithWaitReachesEveryInstanceAndPrefixesEachLine() throws Exception {
        String instances = start(3);
        CtlRun r = ctl("drain", "p", "a", "--all", "--wait", "--instances", instances);
        assertEquals(Ctl.OK, r.code(), r.out() + r.err());
        for (int i = 0; i < 3; i++) {
            assertEquals(AdminState.DRAIN, kodiaks.get(i).upstream("p", "a").adminState(), "instance " + i);
            assertTrue(r.out().contains(admin(i) + ": p/a: drain (now DRAIN"), r.out());
            assertTrue(r.out().contains(admin(i) + ": p/a: drained (nothing in flight)"), r.out());
        }
        assertTrue(r.out().lines().allMatch(l -> l.startsWith("127.0.0.1:")), r.out());

        // The environment names the instances too; ready --wait waits for UP everywhere.
        env.put("KODIAK_INSTANCES", instances);
        CtlRun ready = ctl("ready", "p", "a", "--all", "--wait", "--timeout", "10s");
        assertEquals(Ctl.OK, ready.code(), ready.out() + ready.err());
        for (Kodiak k : kodiaks) {
            assertEquals(AdminState.READY, k.upstream("p", "a").adminState());
        }
        assertTrue(ready.out().contains(admin(2) + ": p/a: UP after"), ready.out());
    }

    @Test
    void aDrainByAddressWithAllReachesEveryInstanceAndWaitsOnEach() throws Exception {
        String instances = start(2);
        String address = ups.get(0).hostPort();
        CtlRun r = ctl("drain", address, "--all", "--wait", "--instances", instances);
        assertEquals(Ctl.OK, r.code(), r.out() + r.err());
        for (int i = 0; i < 2; i++) {
            assertEquals(AdminState.DRAIN, kodiaks.get(i).upstream("p", "a").adminState(), "instance " + i);
            assertTrue(r.out().contains(admin(i) + ": " + address + ": drained (nothing in flight on p/a)"), r.out());
        }
        CtlRun ready = ctl("ready", address, "--all", "--wait", "--instances", instances);
        assertEquals(Ctl.OK, ready.code(), ready.out() + ready.err());
        for (Kodiak k : kodiaks) {
            assertEquals(AdminState.READY, k.upstream("p", "a").adminState());
        }
    }

    @Test
    void statusShowsTheInstancesSideBySideMarksDisagreementAndAnUnreachableOne() throws Exception {
        String instances = start(3);
        assertEquals(Ctl.OK, ctl("drain", "p", "b", "--admin", admin(1)).code());
        CtlRun r = ctl("status", "--all", "--instances", instances);
        assertEquals(Ctl.OK, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(3, lines.size(), r.out());
        assertTrue(lines.get(0).matches(" *POOL/UPSTREAM +" + admin(0) + " +" + admin(1) + " +" + admin(2)), r.out());
        assertTrue(lines.get(1).matches(" +p/a +UP 0 +UP 0 +UP 0"), r.out());
        assertTrue(lines.get(2).matches("\\* +p/b +UP 0 +DRAIN 0 +UP 0"), r.out());

        Kodiak gone = kodiaks.remove(1);
        String goneAdmin = "127.0.0.1:" + gone.adminAddress().getPort();
        gone.close();
        CtlRun down = ctl("status", "--all", "--instances", instances);
        assertEquals(Ctl.UNREACHABLE, down.code(), down.out() + down.err());
        List<String> downLines = down.out().lines().toList();
        assertTrue(downLines.get(1).matches(" +p/a +UP 0 +unreachable +UP 0"), down.out());
        assertTrue(downLines.get(2).matches(" +p/b +UP 0 +unreachable +UP 0"), down.out());
        assertTrue(down.err().contains(goneAdmin + ": cannot reach the admin API"), down.err());

        CtlRun json = ctl("status", "--all", "--json", "--instances", instances);
        assertEquals(Ctl.UNREACHABLE, json.code());
        List<Object> list = Ctl.list(Ctl.map(Json.parse(json.out())).get("instances"));
        assertEquals(3, list.size(), json.out());
        assertEquals(goneAdmin, Ctl.map(list.get(1)).get("admin"));
        assertTrue(String.valueOf(Ctl.map(list.get(1)).get("error")).contains("cannot reach"), json.out());
        assertTrue(Ctl.map(Ctl.map(list.get(0)).get("status")).containsKey("pools"), json.out());
    }

    @Test
    void theExitCodeIsTheWorstAndJsonKeepsEveryInstancesAnswer() throws Exception {
        String instances = start(2);
        CtlRun refused = ctl("weight", "p", "nosuch", "3", "--all", "--instances", instances);
        assertEquals(Ctl.REFUSED, refused.code());
        assertTrue(refused.err().lines().allMatch(l -> l.startsWith("127.0.0.1:")), refused.err());

        String withDead = instances + ",127.0.0.1:" + ScriptedUpstream.unusedPort();
        CtlRun mixed = ctl("weight", "p", "a", "4", "--all", "--json", "--instances", withDead);
        assertEquals(Ctl.UNREACHABLE, mixed.code(), mixed.err());
        List<Object> list = Ctl.list(Ctl.map(Json.parse(mixed.out())).get("instances"));
        assertEquals(List.of(0L, 0L, 4L), list.stream().map(o -> Ctl.map(o).get("exit")).toList(), mixed.out());
        assertEquals(4L, Ctl.map(Ctl.map(list.get(0)).get("result")).get("weight"), mixed.out());
        for (Kodiak k : kodiaks) {
            assertEquals(4, k.upstream("p", "a").weight());
        }
        assertEquals(List.of(3, 1, 0), List.of(CtlFanout.worst(results(3, 1, 0)), CtlFanout.worst(results(1, 0)),
                CtlFanout.worst(results())));
    }

    private static List<CtlFanout.Result> results(int... codes) {
        return java.util.Arrays.stream(codes).mapToObj(c -> new CtlFanout.Result("x", c, "", "")).toList();
    }

    @Test
    void commandLinesItRefuses() {
        CtlRun none = ctl("status", "--all");
        assertEquals(Ctl.USAGE, none.code());
        assertTrue(none.err().startsWith("kodiak ctl: --all: which instances? Give --instances"), none.err());
        CtlRun noAll = ctl("status", "--instances", "127.0.0.1:1");
        assertEquals(Ctl.USAGE, noAll.code());
        assertTrue(noAll.err().contains("add --all"), noAll.err());
        CtlRun both = ctl("status", "--all", "--instances", "127.0.0.1:1", "--admin", "127.0.0.1:2");
        assertEquals(Ctl.USAGE, both.code());
        CtlRun bad = ctl("status", "--all", "--instances", "127.0.0.1:1,nohost");
        assertEquals(Ctl.USAGE, bad.code());
        assertTrue(bad.err().contains("\"nohost\" is not HOST:PORT"), bad.err());
        CtlRun wrongArgs = ctl("drain", "--all", "--instances", "127.0.0.1:1", "p");
        assertEquals(Ctl.USAGE, wrongArgs.code(), "checked once, before any instance is asked");
        CtlRun noAddress = ctl("status", "--all", "--instances", "dns:no-such-name.invalid:9090");
        assertEquals(Ctl.UNREACHABLE, noAddress.code());
        assertTrue(noAddress.err().startsWith("kodiak ctl: --instances: "), noAddress.err());
    }

    @Test
    void instanceListsTakeHostPortsAndDnsNames() throws Exception {
        assertEquals(List.of("127.0.0.1:9001", "[::1]:9002"), CtlFanout.instances(" 127.0.0.1:9001,[::1]:9002,,127.0.0.1:9001"));
        List<String> dns = CtlFanout.instances("dns:localhost:9090");
        assertTrue(dns.contains("127.0.0.1:9090") || dns.contains("[::1]:9090"), dns.toString());
        assertTrue(dns.stream().allMatch(s -> s.endsWith(":9090")), dns.toString());
        for (String bad : List.of("x", ":9", "h:0", "h:65536", "h:port", "dns:h", "")) {
            assertThrows(Ctl.UsageException.class, () -> CtlFanout.instances(bad), bad);
        }
        String many = java.util.stream.IntStream.rangeClosed(1, CtlFanout.MAX_INSTANCES + 1)
                .mapToObj(i -> "127.0.0.1:" + (1000 + i)).collect(Collectors.joining(","));
        Ctl.UsageException e = assertThrows(Ctl.UsageException.class, () -> CtlFanout.instances(many));
        assertTrue(e.getMessage().contains("more than " + CtlFanout.MAX_INSTANCES), e.getMessage());
    }
}
