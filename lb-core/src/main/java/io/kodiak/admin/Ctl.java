package io.kodiak.admin;

import io.kodiak.config.Values;

import java.io.IOException;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * {@code kodiak ctl}: a thin client of the admin API. A table for people by default, the API's
 * JSON with {@code --json}, and exit codes that scripts can trust:
 * <ul>
 *   <li>0: done (and, with {@code --wait}, what was waited for happened);</li>
 *   <li>1: Kodiak refused the request (unknown pool or upstream, bad token, ...): the message says why;</li>
 *   <li>2: the command line is wrong;</li>
 *   <li>3: {@code --wait} timed out (the change itself is in force);</li>
 *   <li>4: the admin API could not be reached.</li>
 * </ul>
 */
public final class Ctl {
    public static final int OK = 0;
    public static final int REFUSED = 1;
    public static final int USAGE = 2;
    public static final int TIMED_OUT = 3;
    public static final int UNREACHABLE = 4;

    private final PrintStream out;
    private final PrintStream err;
    private final Function<String, String> env;
    private InetSocketAddress admin;
    private String token;
    private boolean json;
    private boolean wait;
    private Duration timeout = AdminServer.DEFAULT_WAIT;
    private HttpClient client;

    private Ctl(PrintStream out, PrintStream err, Function<String, String> env) {
        this.out = out;
        this.err = err;
        this.env = env;
    }

    /** Runs {@code kodiak ctl ARGS} with the process environment. */
    public static int run(List<String> args, PrintStream out, PrintStream err) {
        return run(args, out, err, System::getenv);
    }

    /** Runs {@code kodiak ctl ARGS}; {@code env} stands for the environment (tests give their own). */
    public static int run(List<String> args, PrintStream out, PrintStream err, Function<String, String> env) {
        Ctl c = new Ctl(out, err, env);
        try {
            return c.main(args);
        } catch (UsageException e) {
            err.println("kodiak ctl: " + e.getMessage());
            err.print(usage());
            return USAGE;
        } catch (Failure f) {
            err.println("kodiak ctl: " + f.getMessage());
            return f.code;
        }
    }

    public static String usage() {
        return """
                usage: kodiak ctl [--admin HOST:PORT] [--token TOKEN] [--json] COMMAND
                  status [POOL]                              pools and upstreams with state, load and checks
                  list POOL                                  the pool's upstream names, one per line
                  drain POOL UPSTREAM [--wait] [--timeout D] no new requests; with --wait, until none is in flight
                  maint POOL UPSTREAM [--wait] [--timeout D] no traffic and no health checks
                  ready POOL UPSTREAM [--wait] [--timeout D] back in rotation (slow start); --wait: until it is UP
                  weight POOL UPSTREAM N|configured          set the weight (0 drains), or go back to the configured one
                  wait-drained POOL UPSTREAM [--timeout D]   wait until nothing is in flight on a drained upstream
                  add POOL HOST:PORT [NAME [WEIGHT]]         add an upstream at runtime (not written to the file)
                  remove POOL UPSTREAM [--timeout D]         take it out of the pool; returns when nothing is in flight
                  reload                                     re-read the config file and apply it (as SIGHUP); a bad file changes nothing
                  version                                    the running configuration's version
                UPSTREAM is a name or host:port. The admin address comes from --admin, KODIAK_ADMIN, else 127.0.0.1:9090;
                the token from --token, KODIAK_ADMIN_TOKEN, else the token file Kodiak wrote under ~/.kodiak.
                Exit codes: 0 done, 1 refused by Kodiak, 2 usage, 3 --wait timed out, 4 admin API unreachable.
                """;
    }

    private static final class UsageException extends Exception {
        UsageException(String m) {
            super(m);
        }
    }

    private static final class Failure extends Exception {
        final int code;

        Failure(int code, String m) {
            super(m);
            this.code = code;
        }
    }

    private int main(List<String> args) throws UsageException, Failure {
        List<String> words = new ArrayList<>();
        String adminText = env.apply("KODIAK_ADMIN");
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "--admin" -> adminText = value(args, ++i, a);
                case "--token" -> token = value(args, ++i, a);
                case "--json" -> json = true;
                case "--wait" -> wait = true;
                case "--timeout" -> {
                    String v = value(args, ++i, a);
                    try {
                        timeout = Values.duration(v);
                    } catch (IllegalArgumentException e) {
                        throw new UsageException("--timeout: " + e.getMessage());
                    }
                    if (timeout.isZero() || timeout.isNegative() || timeout.compareTo(AdminServer.MAX_WAIT) > 0) {
                        throw new UsageException("--timeout: must be more than 0 and at most 1h");
                    }
                }
                case "-h", "--help" -> {
                    out.print(usage());
                    return OK;
                }
                default -> {
                    if (a.startsWith("--")) {
                        throw new UsageException("unknown option " + a);
                    }
                    words.add(a);
                }
            }
        }
        if (words.isEmpty()) {
            throw new UsageException("missing command");
        }
        admin = adminText == null ? new InetSocketAddress("127.0.0.1", 9090) : address(adminText);
        if (token == null) {
            token = env.apply("KODIAK_ADMIN_TOKEN");
        }
        if (token == null || token.isEmpty()) {
            Path home = env.apply("KODIAK_HOME") != null ? Path.of(env.apply("KODIAK_HOME")) : TokenFile.home();
            token = TokenFile.read(TokenFile.of(home, admin));
        }
        // HTTP/1.1: the JDK client's default h2c upgrade would make Grizzly treat the body as an upgraded stream.
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        String cmd = words.get(0);
        List<String> rest = words.subList(1, words.size());
        return switch (cmd) {
            case "status" -> status(arity(rest, 0, 1, "status [POOL]"));
            case "list" -> list(arity(rest, 1, 1, "list POOL"));
            case "drain" -> setState(arity(rest, 2, 2, "drain POOL UPSTREAM"), "drain");
            case "maint" -> setState(arity(rest, 2, 2, "maint POOL UPSTREAM"), "maint");
            case "ready" -> setState(arity(rest, 2, 2, "ready POOL UPSTREAM"), "ready");
            case "weight" -> weight(arity(rest, 3, 3, "weight POOL UPSTREAM N|configured"));
            case "wait-drained" -> waitDrained(arity(rest, 2, 2, "wait-drained POOL UPSTREAM"));
            case "version" -> version(arity(rest, 0, 0, "version"));
            case "reload" -> reload(arity(rest, 0, 0, "reload"));
            case "add" -> add(arity(rest, 2, 4, "add POOL HOST:PORT [NAME [WEIGHT]]"));
            case "remove" -> remove(arity(rest, 2, 2, "remove POOL UPSTREAM"));
            default -> throw new UsageException("unknown command '" + cmd + "'");
        };
    }

    private static String value(List<String> args, int i, String option) throws UsageException {
        if (i >= args.size()) {
            throw new UsageException(option + " needs a value");
        }
        return args.get(i);
    }

    private static List<String> arity(List<String> rest, int min, int max, String form) throws UsageException {
        if (rest.size() < min || rest.size() > max) {
            throw new UsageException("expected: " + form);
        }
        return rest;
    }

    private static InetSocketAddress address(String text) throws UsageException {
        int colon = text.lastIndexOf(':');
        try {
            String host = text.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            return InetSocketAddress.createUnresolved(host, Integer.parseInt(text.substring(colon + 1)));
        } catch (RuntimeException e) {
            throw new UsageException("admin address \"" + text + "\" is not host:port");
        }
    }

    // ------------------------------------------------------------------ commands

    private int status(List<String> rest) throws Failure {
        Map<String, Object> body = get(rest.isEmpty() ? "/v1/status" : "/v1/pools/" + enc(rest.get(0)));
        if (json) {
            out.println(Json.writePretty(body));
            return OK;
        }
        List<Object> pools = rest.isEmpty() ? list(body.get("pools")) : List.of(body);
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"POOL", "UPSTREAM", "ADDRESS", "STATE", "WHY", "WEIGHT", "IN-FLIGHT", "IDLE",
                "REQUESTS", "FAILURES", "LAST CHECK"});
        for (Object po : pools) {
            Map<String, Object> p = map(po);
            for (Object uo : list(p.get("upstreams"))) {
                Map<String, Object> u = map(uo);
                rows.add(new String[] {str(p.get("name")), str(u.get("name")), str(u.get("address")),
                        str(u.get("state")) + (Boolean.TRUE.equals(u.get("slow_start")) ? " (slow start)" : ""),
                        String.join(",", list(u.get("reasons")).stream().map(Ctl::str).toList()),
                        weightText(u), str(u.get("in_flight")), str(u.get("idle_connections")),
                        str(u.get("requests")), str(u.get("failures")), checkText(u.get("last_check"))});
            }
        }
        table(rows);
        return OK;
    }

    private static String weightText(Map<String, Object> u) {
        String w = str(u.get("weight"));
        return w.equals(str(u.get("configured_weight"))) ? w : w + " (config " + str(u.get("configured_weight")) + ")";
    }

    private static String checkText(Object c) {
        if (c == null) {
            return "-";
        }
        Map<String, Object> m = map(c);
        return (Boolean.TRUE.equals(m.get("passed")) ? "passed" : "failed") + " at " + str(m.get("at"));
    }

    private void table(List<String[]> rows) {
        int cols = rows.get(0).length;
        int[] width = new int[cols];
        for (String[] r : rows) {
            for (int i = 0; i < cols; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        for (String[] r : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < cols; i++) {
                line.append(i == cols - 1 ? r[i] : String.format(Locale.ROOT, "%-" + (width[i] + 2) + "s", r[i]));
            }
            out.println(line.toString().stripTrailing());
        }
    }

    private int list(List<String> rest) throws Failure {
        Map<String, Object> p = get("/v1/pools/" + enc(rest.get(0)));
        if (json) {
            out.println(Json.writePretty(list(p.get("upstreams")).stream().map(u -> map(u).get("name")).toList()));
            return OK;
        }
        for (Object u : list(p.get("upstreams"))) {
            out.println(str(map(u).get("name")));
        }
        return OK;
    }

    private int setState(List<String> rest, String state) throws Failure {
        String base = upstreamPath(rest);
        Map<String, Object> u = post(base + "/state", Map.of("state", state), null);
        if (!wait) {
            if (json) {
                out.println(Json.writePretty(u));
            } else {
                out.println(name(u) + ": " + state + " (now " + str(u.get("state")) + ", " + str(u.get("in_flight")) + " in flight)");
            }
            return OK;
        }
        if (!json) {
            out.println(name(u) + ": " + state + "; waiting up to " + Values.format(timeout)
                    + (state.equals("ready") ? " for it to be UP" : " for its " + str(u.get("in_flight")) + " request(s) in flight"));
        }
        return state.equals("ready") ? awaitUp(base) : awaitDrained(base);
    }

    private int waitDrained(List<String> rest) throws Failure {
        return awaitDrained(upstreamPath(rest));
    }

    private int awaitDrained(String base) throws Failure {
        Map<String, Object> r = post(base + "/wait-drained", Map.of("timeout", Values.format(timeout)), timeout);
        Map<String, Object> u = map(r.get("upstream"));
        boolean drained = Boolean.TRUE.equals(r.get("drained"));
        if (json) {
            out.println(Json.writePretty(r));
        } else if (drained) {
            out.println(name(u) + ": drained (nothing in flight) after " + str(r.get("waited_ms")) + " ms");
        }
        if (!drained) {
            err.println("kodiak ctl: " + name(u) + ": still " + str(r.get("in_flight")) + " request(s) in flight after " + Values.format(timeout));
            return TIMED_OUT;
        }
        return OK;
    }

    private int awaitUp(String base) throws Failure {
        Map<String, Object> r = post(base + "/wait-up", Map.of("timeout", Values.format(timeout)), timeout);
        Map<String, Object> u = map(r.get("upstream"));
        boolean up = Boolean.TRUE.equals(r.get("up"));
        if (json) {
            out.println(Json.writePretty(r));
        } else if (up) {
            out.println(name(u) + ": UP after " + str(r.get("waited_ms")) + " ms");
        }
        if (!up) {
            err.println("kodiak ctl: " + name(u) + ": not UP after " + Values.format(timeout) + " (state " + str(u.get("state"))
                    + (u.get("last_check") == null ? "" : ", last check: " + str(map(u.get("last_check")).get("detail"))) + ")");
            return TIMED_OUT;
        }
        return OK;
    }

    private int weight(List<String> rest) throws UsageException, Failure {
        Object w;
        if (rest.get(2).equals("configured")) {
            w = null;
        } else {
            try {
                w = Long.parseLong(rest.get(2));
            } catch (NumberFormatException e) {
                throw new UsageException("weight: \"" + rest.get(2) + "\" is not a number (0-1000) or 'configured'");
            }
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("weight", w);
        Map<String, Object> u = post(upstreamPath(rest) + "/weight", body, null);
        if (json) {
            out.println(Json.writePretty(u));
        } else {
            out.println(name(u) + ": weight " + weightText(u) + " (now " + str(u.get("state")) + ")");
        }
        return OK;
    }

    private int add(List<String> rest) throws UsageException, Failure {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("address", rest.get(1));
        if (rest.size() > 2) {
            body.put("name", rest.get(2));
        }
        if (rest.size() > 3) {
            try {
                body.put("weight", Long.parseLong(rest.get(3)));
            } catch (NumberFormatException e) {
                throw new UsageException("add: weight \"" + rest.get(3) + "\" is not a number");
            }
        }
        Map<String, Object> u = post("/v1/pools/" + enc(rest.get(0)) + "/upstreams", body, null);
        if (json) {
            out.println(Json.writePretty(u));
        } else {
            out.println(name(u) + ": added at " + str(u.get("address")) + " (now " + str(u.get("state"))
                    + "; not in the config file: a reload or restart goes back to the file)");
        }
        return OK;
    }

    private int remove(List<String> rest) throws Failure {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(upstreamPath(rest)))
                .header("Content-Type", "application/json")
                .method("DELETE", HttpRequest.BodyPublishers.ofString(Json.write(Map.of("timeout", Values.format(timeout)))));
        Map<String, Object> r = call(b, timeout.plusSeconds(15));
        Map<String, Object> u = map(r.get("upstream"));
        boolean drained = Boolean.TRUE.equals(r.get("drained"));
        if (json) {
            out.println(Json.writePretty(r));
        } else {
            out.println(name(u) + ": removed" + (drained ? ", nothing in flight" : ""));
        }
        if (!drained) {
            err.println("kodiak ctl: " + name(u) + ": removed, but " + str(r.get("in_flight")) + " request(s) still in flight after "
                    + Values.format(timeout));
            return TIMED_OUT;
        }
        return OK;
    }

    private int reload(List<String> rest) throws Failure {
        Map<String, Object> r = post("/v1/reload", Map.of(), Duration.ofSeconds(30));
        if (json) {
            out.println(Json.writePretty(r));
            return OK;
        }
        List<Object> changes = list(r.get("changes"));
        out.println("reloaded: version " + str(r.get("previous_version")) + " -> " + str(r.get("config_version"))
                + (changes.isEmpty() ? ", no changes" : ""));
        for (Object c : changes) {
            out.println("  " + str(c));
        }
        for (Object n : list(r.get("notes"))) {
            err.println("kodiak ctl: note: " + str(n));
        }
        return OK;
    }

    private int version(List<String> rest) throws Failure {
        Map<String, Object> c = get("/v1/config");
        if (json) {
            out.println(Json.writePretty(c));
        } else {
            out.println("config " + str(c.get("config_version")) + (c.get("config_file") == null ? " (built-in)" : " from " + str(c.get("config_file")))
                    + ", started " + str(c.get("started_at")));
        }
        return OK;
    }

    private static String upstreamPath(List<String> rest) {
        return "/v1/pools/" + enc(rest.get(0)) + "/upstreams/" + enc(rest.get(1));
    }

    private static String name(Map<String, Object> u) {
        return str(u.get("pool")) + "/" + str(u.get("name"));
    }

    // ------------------------------------------------------------------ HTTP

    private Map<String, Object> get(String path) throws Failure {
        return call(HttpRequest.newBuilder(uri(path)).GET(), Duration.ofSeconds(15));
    }

    private Map<String, Object> post(String path, Map<String, Object> body, Duration waiting) throws Failure {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Json.write(body)));
        return call(b, waiting == null ? Duration.ofSeconds(15) : waiting.plusSeconds(15));
    }

    private URI uri(String path) {
        String host = admin.getHostString();
        return URI.create("http://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + admin.getPort() + path);
    }

    private Map<String, Object> call(HttpRequest.Builder b, Duration requestTimeout) throws Failure {
        if (token != null && !token.isEmpty()) {
            b.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> r;
        try {
            r = client.send(b.timeout(requestTimeout).build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (ConnectException e) {
            throw new Failure(UNREACHABLE, "cannot reach the admin API at " + admin.getHostString() + ":" + admin.getPort()
                    + " (is Kodiak running? set --admin or KODIAK_ADMIN)");
        } catch (HttpTimeoutException e) {
            throw new Failure(UNREACHABLE, "the admin API at " + admin.getHostString() + ":" + admin.getPort() + " did not answer in time");
        } catch (IOException e) {
            throw new Failure(UNREACHABLE, "admin API at " + admin.getHostString() + ":" + admin.getPort() + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Failure(UNREACHABLE, "interrupted");
        }
        Object body;
        try {
            body = Json.parse(r.body());
        } catch (Json.ParseException e) {
            throw new Failure(REFUSED, "HTTP " + r.statusCode() + " with a body that is not JSON: " + abbreviate(r.body()));
        }
        if (r.statusCode() != 200) {
            String msg = body instanceof Map<?, ?> m && m.get("error") != null ? str(m.get("error")) : abbreviate(r.body());
            throw new Failure(REFUSED, msg + " (HTTP " + r.statusCode() + ")");
        }
        if (!(body instanceof Map<?, ?>)) {
            throw new Failure(REFUSED, "unexpected answer: " + abbreviate(r.body()));
        }
        return map(body);
    }

    private static String abbreviate(String s) {
        s = s.strip();
        return s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o) {
        return o instanceof List<?> l ? (List<Object>) l : List.of();
    }

    private static String str(Object o) {
        return o == null ? "-" : String.valueOf(o);
    }
}
