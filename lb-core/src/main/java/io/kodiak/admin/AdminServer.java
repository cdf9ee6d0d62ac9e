package io.kodiak.admin;

import io.kodiak.config.AdminConfig;
import io.kodiak.config.ConfigException;
import io.kodiak.config.UpstreamConfig;
import io.kodiak.upstream.AdminState;
import io.kodiak.upstream.PoolRuntime;
import io.kodiak.upstream.Upstream;
import org.glassfish.grizzly.http.server.HttpHandler;
import org.glassfish.grizzly.http.server.HttpServer;
import org.glassfish.grizzly.http.server.NetworkListener;
import org.glassfish.grizzly.http.server.Request;
import org.glassfish.grizzly.http.server.Response;
import org.glassfish.grizzly.threadpool.ThreadPoolConfig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The admin API: JSON over HTTP on its own listener (never a data port), served by
 * grizzly-http-server on its own small transport, so the data path's selector threads never run
 * admin work. Reference: {@code docs/admin-api.md}.
 *
 * <p><b>Auth.</b> Changes (any method but {@code GET} and {@code HEAD}; no route changes anything
 * on those) need {@code Authorization: Bearer TOKEN} (kodiak ctl, curl), or the status page's
 * session: its cookie with the session's CSRF token in {@code X-Kodiak-CSRF} and a JSON body
 * ({@link SessionRoutes}). None gives 401, a wrong token or CSRF token 403. Reads are open on a
 * loopback address and need the token or the session cookie elsewhere. The token comes from the
 * config, else {@code KODIAK_ADMIN_TOKEN}, else one is generated and written to a
 * {@link TokenFile} that {@code kodiak ctl} reads (loopback only: the config refuses a
 * non-loopback address without a token). Before any of that, a request must name this listener in
 * {@code Host} and come from no other {@code Origin} than its own ({@link HostGuard}: 421 or 403),
 * and on {@code /v1/} from no page of another site or port ({@code Sec-Fetch-Site}), token or not:
 * reads are what a DNS-rebinding or cross-site page would steal. Every answer carries
 * {@link AdminHeaders}.
 *
 * <p><b>Errors.</b> Bad input gets a 4xx and {@code {"error": "..."}} saying what was wrong, and
 * changes nothing: the whole request is checked before anything is applied.
 *
 * <p>Size: about 590 lines, over the project's 400, because the API's whole surface is here and
 * readable top to bottom: the route table (one case per path and method), authorization and the
 * held requests ({@code wait-drained}, {@code wait-up}); the drain by address is {@link AddressRoutes}. Bodies are read by {@link AdminBodies},
 * answers built by {@link AdminViews}, changes made through {@link Control}.
 */
public final class AdminServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(AdminServer.class.getName());
    static final Duration DEFAULT_WAIT = Duration.ofSeconds(60);
    static final Duration MAX_WAIT = Duration.ofHours(1);
    /** Waits hold a connection each; more than this at once are refused (503). */
    static final int MAX_WAITERS = 64;

    private final Control control;
    private final AdminViews views;
    private final HttpServer http;
    private final NetworkListener listener;
    private final String token;
    private final boolean openReads;
    private final HostGuard guard;
    private final Path tokenFile;
    private final ScheduledExecutorService timer;
    private final Semaphore waiters = new Semaphore(MAX_WAITERS);
    private final AddressRoutes addresses;
    /** The status page at {@code /} and its assets under {@code /assets/}. */
    private final PageAssets page = new PageAssets();
    /** {@code /v1/session}: the page's login with the token, its cookie and CSRF token. */
    private final SessionRoutes sessions;

    private AdminServer(Control control, AdminConfig config, String token, boolean generated, Path tokenHome) throws IOException {
        this.control = control;
        this.views = new AdminViews(control);
        this.addresses = new AddressRoutes(control, views, this);
        this.token = token;
        this.sessions = new SessionRoutes(token, new Sessions(), new LoginLimiter(), () -> address().getPort());
        this.openReads = config.listen().getAddress().isLoopbackAddress();
        this.guard = HostGuard.of(config.listen(), config.allowedHosts(), "admin.allowed-hosts");
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "kodiak-admin-timer");
            t.setDaemon(true);
            return t;
        });
        // The status page's rates and sparklines: a pass over the counters every second, on this
        // timer, which also answers the held waits: a pass only reads counters (no I/O, no lock the data path takes).
        timer.scheduleAtFixedRate(views.sampler()::sampleLogged, 0, 1, TimeUnit.SECONDS);
        this.http = new HttpServer();
        this.listener = new NetworkListener("kodiak-admin", config.listen().getHostString(), config.listen().getPort());
        listener.setMaxHttpHeaderSize(16 * 1024);
        listener.getKeepAlive().setIdleTimeoutInSeconds(30);
        listener.getTransport().setSelectorRunnersCount(1);
        listener.getTransport().setWorkerThreadPoolConfig(ThreadPoolConfig.defaultConfig()
                .setPoolName("kodiak-admin").setCorePoolSize(1).setMaxPoolSize(4).setQueueLimit(256));
        http.addListener(listener);
        http.getServerConfiguration().setHttpServerName("kodiak-admin");
        http.getServerConfiguration().setHttpServerVersion("");
        http.getServerConfiguration().setJmxEnabled(false);
        http.getServerConfiguration().setAllowPayloadForUndefinedHttpMethods(true); // DELETE with a {"timeout"} body
        http.getServerConfiguration().addHttpHandler(new Handler(), "/");
        try {
            http.start();
        } catch (IOException e) {
            timer.shutdownNow();
            throw new IOException("admin: cannot listen on " + config.listen().getHostString() + ":"
                    + config.listen().getPort() + ": " + e.getMessage() + " (set admin.listen, or --admin)", e);
        }
        Path file = null;
        if (generated) {
            file = TokenFile.of(tokenHome, address());
            try {
                TokenFile.write(file, token);
            } catch (IOException e) {
                http.shutdownNow();
                timer.shutdownNow();
                throw new IOException("admin: cannot write the token file " + file + ": " + e.getMessage()
                        + " (set KODIAK_ADMIN_TOKEN, or KODIAK_HOME to a writable directory)", e);
            }
        }
        this.tokenFile = file;
    }

    /** Starts the admin API of {@code control} as {@code config} says; the token as the class comment says. */
    public static AdminServer start(Control control, AdminConfig config) throws IOException {
        return start(control, config, System.getenv("KODIAK_ADMIN_TOKEN"), TokenFile.home());
    }

    /** As {@link #start(Control, AdminConfig)}, with the environment's token and the token home given. */
    public static AdminServer start(Control control, AdminConfig config, String envToken, Path tokenHome) throws IOException {
        String token = config.token() != null ? config.token() : envToken;
        String weak = TokenFile.weakTokenWarning(config, envToken);
        if (weak != null) {
            LOG.warning(weak);
        }
        boolean generated = false;
        if (token == null || token.isEmpty()) {
            if (!config.listen().getAddress().isLoopbackAddress()) {
                throw new IOException("admin: " + config.listen().getHostString()
                        + " is not a loopback address: the admin API needs a token (admin.token or KODIAK_ADMIN_TOKEN)");
            }
            token = TokenFile.generate();
            generated = true;
        }
        return new AdminServer(control, config, token, generated, tokenHome);
    }

    /** The bound address (the real port when the config said 0). */
    public InetSocketAddress address() {
        return (InetSocketAddress) listener.getServerConnection().getLocalAddress();
    }

    /** Where the generated token was written, or {@code null} if the token came from the config or environment. */
    public Path tokenFile() {
        return tokenFile;
    }

    @Override
    public void close() {
        http.shutdownNow();
        timer.shutdownNow();
        if (tokenFile != null) {
            try {
                Files.deleteIfExists(tokenFile);
            } catch (IOException e) {
                LOG.fine(() -> "could not delete " + tokenFile + ": " + e);
            }
        }
    }

    /**
     * An answer to an admin request: a status and a JSON body, indented for people (ctl prints
     * it, the docs show it) unless {@code compact}: what the status page polls every second or
     * every few seconds is written without the indentation, which is most of its size.
     */
    record Reply(int status, Object body, boolean compact) {
        Reply(int status, Object body) {
            this(status, body, false);
        }

        static Reply ok(Object body) {
            return new Reply(200, body);
        }

        /** 200 with {@code body} compact: for {@code /v1/status} and {@code /v1/history}. */
        static Reply compact(Object body) {
            return new Reply(200, body, true);
        }

        static Reply error(int status, String message) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("error", message);
            return new Reply(status, m);
        }
    }

    private final class Handler extends HttpHandler {
        @Override
        public void service(Request req, Response resp) {
            Object local = req.getRequest().getConnection().getLocalAddress();
            HostGuard.Refusal refused = guard.check(req.getHeader("Host"), req.getHeader("Origin"),
                    local instanceof InetSocketAddress a ? a.getAddress() : null);
            if (refused != null) {
                send(resp, Reply.error(refused.status(), refused.message()));
                return;
            }
            try {
                route(req, resp);
            } catch (Refused r) {
                send(resp, Reply.error(r.status, r.getMessage()));
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "admin: " + req.getMethod() + " " + req.getRequestURI() + " failed", e);
                send(resp, Reply.error(500, e.getMessage() == null ? e.toString() : e.getMessage()));
            }
        }
    }

    private void route(Request req, Response resp) throws Refused {
        String method = req.getMethod().getMethodString();
        List<String> path = segments(req.getRequestURI());
        boolean change = !method.equals("GET") && !method.equals("HEAD");
        if (path.size() == 1 && path.get(0).equals("healthz")) {
            healthz(method, resp);
            return;
        }
        if (path.isEmpty() || path.get(0).equals("assets")) {
            page.serve(req, resp, method, path);
            return;
        }
        if (path.get(0).equals("v1")) {
            // The page itself (GET /) may be opened from a link anywhere; the API only from itself.
            HostGuard.Refusal crossSite = HostGuard.fetchSite(req.getHeader("Sec-Fetch-Site"));
            if (crossSite != null) {
                throw new Refused(crossSite.status(), crossSite.message());
            }
            if (path.size() == 2 && path.get(1).equals("session")) { // the login: before any authorization
                sessions.route(req, resp, method, openReads);
                return;
            }
            authorize(req, change);
        }
        // GET /v1/status | /v1/config | /v1/certificates | /v1/pools/P | /v1/pools/P/upstreams/U
        // POST /v1/pools/P/upstreams/U/{state,weight,wait-drained,wait-up}, /v1/reload, /v1/reopen-logs
        // GET /v1/addresses?address=A, POST /v1/addresses/{state,wait-drained} (drain by address)
        int n = path.size();
        if (n == 2 && path.get(0).equals("v1") && path.get(1).equals("status")) {
            allow(method, "GET");
            send(resp, Reply.compact(views.status()));
            return;
        }
        if (n == 2 && path.get(0).equals("v1") && path.get(1).equals("history")) {
            allow(method, "GET");
            send(resp, Reply.compact(views.history()));
            return;
        }
        if (n == 2 && path.get(0).equals("v1") && path.get(1).equals("certificates")) {
            allow(method, "GET");
            send(resp, Reply.ok(views.certificates()));
            return;
        }
        if (n == 2 && path.get(0).equals("v1") && path.get(1).equals("config")) {
            allow(method, "GET");
            send(resp, Reply.ok(views.configInfo()));
            return;
        }
        if (n == 2 && path.get(0).equals("v1") && path.get(1).equals("reload")) {
            allow(method, "POST");
            AdminBodies.only(AdminBodies.body(req));
            send(resp, Reply.ok(reload()));
            return;
        }
        if (n == 2 && path.get(0).equals("v1") && path.get(1).equals("reopen-logs")) {
            allow(method, "POST");
            AdminBodies.only(AdminBodies.body(req));
            send(resp, Reply.ok(reopenLogs()));
            return;
        }
        if ((n == 2 || n == 3) && path.get(0).equals("v1") && path.get(1).equals("addresses")) {
            addresses.route(req, resp, method, n == 3 ? path.get(2) : null);
            return;
        }
        if (n == 3 && path.get(0).equals("v1") && path.get(1).equals("pools")) {
            allow(method, "GET");
            send(resp, Reply.ok(views.pool(lookupPool(path.get(2)))));
            return;
        }
        if (n == 4 && path.get(0).equals("v1") && path.get(1).equals("pools") && path.get(3).equals("upstreams")) {
            allow(method, "POST");
            PoolRuntime p = lookupPool(path.get(2));
            Map<String, Object> body = AdminBodies.body(req);
            UpstreamConfig uc = AdminBodies.newUpstream(body);
            AdminBodies.only(body, "address", "name", "weight", "max_connections");
            try {
                send(resp, Reply.ok(views.upstream(control.addUpstream(p.name(), uc))));
            } catch (IllegalArgumentException e) {
                throw new Refused(409, e.getMessage());
            }
            return;
        }
        if ((n == 5 || n == 6) && path.get(0).equals("v1") && path.get(1).equals("pools") && path.get(3).equals("upstreams")) {
            Upstream u = lookup(path.get(2), path.get(4));
            if (n == 5 && method.equals("DELETE")) {
                Map<String, Object> body = AdminBodies.body(req);
                Duration timeout = AdminBodies.timeout(body);
                AdminBodies.only(body, "timeout");
                Map<String, Object> shown = views.upstream(u);
                long start = System.nanoTime();
                java.util.concurrent.CompletableFuture<Void> removing;
                try {
                    removing = control.removeUpstream(u);
                } catch (IllegalArgumentException e) { // a discovered upstream: its source decides
                    throw new Refused(409, u.pool() + "/" + u.name() + ": " + e.getMessage());
                }
                hold(resp, removing.copy().orTimeout(timeout.toNanos(), TimeUnit.NANOSECONDS), (done, t) -> {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("removed", true);
                    m.put("drained", done);
                    m.put("in_flight", u.inFlight());
                    m.put("waited_ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
                    m.put("upstream", shown);
                    return Reply.ok(m);
                });
                return;
            }
            if (n == 5) {
                if (!method.equals("GET") && !method.equals("HEAD")) {
                    throw new Refused(405, "method " + method + " is not allowed here (use GET, or DELETE to remove it)");
                }
                send(resp, Reply.ok(views.upstream(u)));
                return;
            }
            allow(method, "POST");
            Map<String, Object> body = AdminBodies.body(req);
            switch (path.get(5)) {
                case "state" -> {
                    AdminState s = AdminBodies.state(body);
                    AdminBodies.only(body, "state");
                    String shared = control.setAdminStateShared(u, s);
                    send(resp, Reply.ok(shared(views.upstream(u), shared)));
                }
                case "weight" -> {
                    int w = AdminBodies.weight(body);
                    AdminBodies.only(body, "weight");
                    String shared = control.setWeightShared(u, w);
                    send(resp, Reply.ok(shared(views.upstream(u), shared)));
                }
                case "wait-drained" -> {
                    Duration timeout = AdminBodies.timeout(body);
                    AdminBodies.only(body, "timeout");
                    if (u.adminState() == AdminState.READY && !u.adminOut()) {
                        throw new Refused(409, u.pool() + "/" + u.name() + " is ready: drain it first (state drain or maint)");
                    }
                    waitDrained(u, timeout, resp);
                }
                case "wait-up" -> {
                    Duration timeout = AdminBodies.timeout(body);
                    AdminBodies.only(body, "timeout");
                    if (u.adminOut()) {
                        throw new Refused(409, u.pool() + "/" + u.name() + " is " + u.state() + " by the operator: set it ready first");
                    }
                    waitUp(u, timeout, resp);
                }
                default -> throw new Refused(404, "no such action \"" + path.get(5)
                        + "\" (expected state, weight, wait-drained or wait-up)");
            }
            return;
        }
        throw new Refused(404, "no such endpoint: " + req.getRequestURI() + " (see docs/admin-api.md)");
    }

    /**
     * Whether the request may go on: open reads on loopback; else the bearer token if the request
     * has one (a wrong one is 403, whatever cookie comes with it); else the status page's session
     * cookie, which for a change must come with the session's CSRF token and a JSON body. The
     * CSRF token is what a forged cross-site form cannot send: it can make the browser send the
     * cookie (were it not SameSite), but neither read the token nor set a header, and a form's
     * body is never {@code application/json}.
     */
    private void authorize(Request req, boolean change) throws Refused {
        if (!change && openReads) {
            return;
        }
        String h = req.getHeader("Authorization");
        if (h != null && !h.isBlank()) {
            String given = h.regionMatches(true, 0, "Bearer ", 0, 7) ? h.substring(7).trim() : "";
            if (!Sessions.sameSecret(given, token)) {
                throw new Refused(403, "wrong token");
            }
            return;
        }
        Sessions.Session s = sessions.session(req);
        if (s == null) {
            throw new Refused(401, (change ? "changes" : "requests on a non-loopback address")
                    + " need a bearer token: Authorization: Bearer TOKEN (kodiak ctl sends KODIAK_ADMIN_TOKEN), or the status "
                    + "page's session" + (sessions.hasCookie(req) ? " (this one has ended: log in again)" : " (log in at /)"));
        }
        if (!change) {
            return;
        }
        if (!Sessions.csrfMatches(s, req.getHeader(SessionRoutes.CSRF_HEADER))) {
            throw new Refused(403, SessionRoutes.WRONG_CSRF);
        }
        if (!SessionRoutes.isJson(req)) {
            throw new Refused(415, "changes made with the session cookie are JSON (Content-Type: application/json), not "
                    + (req.getHeader("Content-Type") == null ? "a request without a type" : req.getHeader("Content-Type")));
        }
    }

    static void allow(String method, String allowed) throws Refused {
        if (!method.equals(allowed) && !(allowed.equals("GET") && method.equals("HEAD"))) {
            throw new Refused(405, "method " + method + " is not allowed here (use " + allowed + ")");
        }
    }

    private static List<String> segments(String uri) throws Refused {
        List<String> out = new ArrayList<>();
        for (String s : uri.split("/")) {
            if (s.isEmpty()) {
                continue;
            }
            try {
                out.add(URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                throw new Refused(400, "malformed percent-encoding in the path: " + s);
            }
        }
        return out;
    }

    private PoolRuntime lookupPool(String name) throws Refused {
        try {
            return control.pool(name);
        } catch (IllegalArgumentException e) {
            throw new Refused(404, "no pool named \"" + name + "\" (pools: "
                    + String.join(", ", control.pools().stream().map(PoolRuntime::name).toList()) + ")");
        }
    }

    private Upstream lookup(String pool, String upstream) throws Refused {
        try {
            return control.upstream(pool, upstream);
        } catch (IllegalArgumentException e) {
            throw new Refused(404, e.getMessage());
        }
    }

    /**
     * {@code GET /healthz} (and HEAD): 200 {@code ok}, with no token, so that a Kubernetes
     * liveness or readiness probe (which cannot send a bearer token) can ask a Kodiak whose admin
     * API listens on the pod's address. It says only that the admin API answers; {@code /v1/status}
     * says how the pools are, and stays behind the token there. Host and Origin are checked as
     * for every route (the kubelet sends the pod's address, which {@link HostGuard} allows).
     */
    private static void healthz(String method, Response resp) throws Refused {
        allow(method, "GET");
        resp.setStatus(200);
        resp.setContentType("text/plain");
        resp.setCharacterEncoding("utf-8");
        resp.setHeader("Cache-Control", "no-store");
        AdminHeaders.api(resp);
        resp.setContentLength(3);
        try {
            resp.getOutputStream().write("ok\n".getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The view with {@code "shared": "ok" | "failed: ..."} when the instances share their admin states. */
    private static Map<String, Object> shared(Map<String, Object> view, String shared) {
        if (shared != null) {
            view.put("shared", shared);
        }
        return view;
    }

    private Map<String, Object> reload() throws Refused {
        String running = control.config().version();
        try {
            Control.Reloaded r = control.reload();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("reloaded", true);
            m.put("previous_version", running);
            m.put("config_version", r.version());
            m.put("changes", r.changes());
            m.put("notes", r.notes());
            return m;
        } catch (ConfigException e) {
            throw new Refused(400, "the configuration was rejected, version " + running + " keeps running: " + e.getMessage());
        } catch (IOException e) {
            throw new Refused(409, "the reload could not be applied, version " + running + " keeps running: " + e.getMessage());
        }
    }

    /**
     * Every access log reopened, for logrotate's postrotate: 200 once all have, else 500 naming
     * each that failed (the others are reopened all the same).
     */
    private Map<String, Object> reopenLogs() throws Refused {
        List<Object> reopened = new ArrayList<>();
        List<String> failed = new ArrayList<>();
        for (Control.Reopened r : control.reopenLogs()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("listener", r.listener());
            m.put("target", r.target());
            reopened.add(m);
            if (r.error() != null) {
                failed.add("listener " + r.listener() + " (" + r.target() + "): " + r.error());
            }
        }
        if (!failed.isEmpty()) {
            throw new Refused(500, "access log " + String.join("; ", failed));
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("reopened", reopened);
        return m;
    }

    // ------------------------------------------------------------------ waits

    /** Answers once {@code u} has nothing in flight, or after {@code timeout} with the count still in flight. */
    private void waitDrained(Upstream u, Duration timeout, Response resp) throws Refused {
        long start = System.nanoTime();
        hold(resp, u.whenIdle().copy().orTimeout(timeout.toNanos(), TimeUnit.NANOSECONDS), (done, t) -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("drained", done);
            m.put("in_flight", u.inFlight());
            m.put("waited_ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            m.put("upstream", views.upstream(u));
            return Reply.ok(m);
        });
    }

    /**
     * Answers once {@code u} is UP (its check passed, and nothing else keeps it out), or the
     * operator took it out of rotation, or after {@code timeout}: the control loop signals the
     * transition ({@link Upstream#whenUp()}).
     */
    private void waitUp(Upstream u, Duration timeout, Response resp) throws Refused {
        long start = System.nanoTime();
        hold(resp, u.whenUp().copy().orTimeout(timeout.toNanos(), TimeUnit.NANOSECONDS), (done, t) -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("up", u.available());
            m.put("waited_ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            m.put("upstream", views.upstream(u));
            return Reply.ok(m);
        });
    }

    interface Answer {
        Reply reply(boolean done, Throwable failure);
    }

    /** Suspends {@code resp} until {@code f} completes (a timeout counts as not done) and answers on the timer thread. */
    void hold(Response resp, CompletableFuture<?> f, Answer answer) throws Refused {
        if (!waiters.tryAcquire()) {
            throw new Refused(503, "too many waits at once (" + MAX_WAITERS + ")");
        }
        resp.suspend();
        f.whenCompleteAsync((v, t) -> {
            try {
                boolean done = t == null;
                if (t != null && !(t instanceof TimeoutException)) {
                    send(resp, Reply.error(500, t.toString()));
                } else {
                    send(resp, answer.reply(done, t));
                }
            } finally {
                waiters.release();
                resp.resume();
            }
        }, timer);
    }

    static void send(Response resp, Reply r) {
        byte[] body = ((r.compact() ? Json.write(r.body()) : Json.writePretty(r.body())) + "\n").getBytes(StandardCharsets.UTF_8);
        resp.setStatus(r.status());
        resp.setContentType("application/json");
        resp.setCharacterEncoding("utf-8");
        resp.setHeader("Cache-Control", "no-store");
        AdminHeaders.api(resp);
        if (r.status() == 401) {
            resp.setHeader("WWW-Authenticate", "Bearer realm=\"kodiak\"");
        }
        resp.setContentLength(body.length);
        try {
            resp.getOutputStream().write(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
