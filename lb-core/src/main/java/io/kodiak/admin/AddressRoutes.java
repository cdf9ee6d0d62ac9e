package io.kodiak.admin;

import io.kodiak.upstream.AdminState;
import io.kodiak.upstream.Upstream;
import org.glassfish.grizzly.http.server.Request;
import org.glassfish.grizzly.http.server.Response;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The admin API's drain by address: {@code GET /v1/addresses?address=A},
 * {@code POST /v1/addresses/state {"address","state"}} and
 * {@code POST /v1/addresses/wait-drained {"address","timeout"}}: one address in every pool, where
 * HAProxy's {@code set server} and nginx Plus's API are per backend (their users loop). A drain of
 * an address no pool has now is kept as a preset for upstreams made there later (DNS, Kubernetes):
 * 202 with {@code "preset": true}.
 *
 * <p>{@link AdminServer} has authorized the request and checked its {@code Host} before; the
 * bodies are read by {@link AdminBodies}, the changes made through {@link Control}, and a wait is
 * held by the server's {@link AdminServer#hold}. Runs on the admin API's worker threads.
 */
final class AddressRoutes {
    private final Control control;
    private final AdminViews views;
    private final AdminServer server;

    AddressRoutes(Control control, AdminViews views, AdminServer server) {
        this.control = control;
        this.views = views;
        this.server = server;
    }

    /** Answers {@code /v1/addresses} ({@code action} null) or {@code /v1/addresses/ACTION}. */
    void route(Request req, Response resp, String method, String action) throws Refused {
        if (action == null) {
            AdminServer.allow(method, "GET");
            AddressKey a = AdminBodies.address(req.getParameter("address"));
            List<Upstream> at = control.upstreamsAt(a);
            AdminState preset = control.addressPreset(a);
            if (at.isEmpty() && preset == null) {
                throw new Refused(404, "no pool has an upstream at " + a + ", and nothing is preset for it");
            }
            Map<String, Object> m = addressAnswer(a, preset);
            m.put("upstreams", at.stream().map(views::upstream).toList());
            AdminServer.send(resp, AdminServer.Reply.ok(m));
            return;
        }
        AdminServer.allow(method, "POST");
        Map<String, Object> body = AdminBodies.body(req);
        AddressKey a = AdminBodies.address(body.get("address"));
        switch (action) {
            case "state" -> {
                AdminState s = AdminBodies.state(body);
                AdminBodies.only(body, "address", "state");
                boolean wasPreset = control.addressPreset(a) != null;
                List<Upstream> at;
                try {
                    at = control.setAdminStateAt(a, s);
                } catch (IllegalStateException e) {
                    throw new Refused(409, e.getMessage());
                }
                if (at.isEmpty() && s == AdminState.READY && !wasPreset) {
                    throw new Refused(404, "no pool has an upstream at " + a + ", and nothing is preset for it");
                }
                Map<String, Object> m = addressAnswer(a, s == AdminState.READY ? null : s);
                List<Object> list = new ArrayList<>();
                for (Upstream u : at) {
                    Map<String, Object> um = new LinkedHashMap<>();
                    um.put("pool", u.pool());
                    um.put("upstream", u.name());
                    um.put("state", u.state());
                    um.put("in_flight", u.inFlight());
                    list.add(um);
                }
                m.put("upstreams", list);
                AdminServer.send(resp, new AdminServer.Reply(at.isEmpty() && s != AdminState.READY ? 202 : 200, m));
            }
            case "wait-drained" -> {
                Duration timeout = AdminBodies.timeout(body);
                AdminBodies.only(body, "address", "timeout");
                List<Upstream> at = control.upstreamsAt(a);
                if (at.isEmpty()) {
                    throw new Refused(404, "no pool has an upstream at " + a + ": nothing to wait for");
                }
                for (Upstream u : at) {
                    if (u.adminState() == AdminState.READY && !u.adminOut()) {
                        throw new Refused(409, u.pool() + "/" + u.name() + " at " + a + " is ready: drain the address first");
                    }
                }
                long start = System.nanoTime();
                CompletableFuture<?> all = CompletableFuture.allOf(at.stream().map(u -> u.whenIdle().copy()).toArray(CompletableFuture[]::new));
                server.hold(resp, all.orTimeout(timeout.toNanos(), TimeUnit.NANOSECONDS), (done, t) -> {
                    Map<String, Object> m = addressAnswer(a, control.addressPreset(a));
                    m.put("drained", done);
                    m.put("in_flight", at.stream().mapToInt(Upstream::inFlight).sum());
                    m.put("waited_ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
                    m.put("upstreams", at.stream().map(views::upstream).toList());
                    return AdminServer.Reply.ok(m);
                });
            }
            default -> throw new Refused(404, "no such action \"" + action + "\" (expected state or wait-drained)");
        }
    }

    /** {@code address}, {@code state} (what the address is set to: its preset, else ready) and whether it is {@code preset}. */
    private static Map<String, Object> addressAnswer(AddressKey a, AdminState preset) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("address", a.text());
        m.put("state", preset == null ? AdminState.READY.apiName() : preset.apiName());
        m.put("preset", preset != null);
        return m;
    }
}
