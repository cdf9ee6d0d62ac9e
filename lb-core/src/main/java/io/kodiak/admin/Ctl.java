package io.kodiak.admin;

import io.kodiak.config.ConfigException;
import io.kodiak.config.Flags;
import io.kodiak.admin.AdminClient.Failure;
import io.kodiak.config.Values;

import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URLEncoder;
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
 * Its commands, their arguments and flags are {@link CtlCommand}'s; every command answers
 * {@code --help}, and refuses a flag it does not take (exit 2) rather than ignore it.
 *
 * <p>Size: about 560 lines, over the project's 400: one short method per command (and two for an ADDRESS), with
 * its table and its messages; the HTTP side is {@link AdminClient}'s.
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
    private String token;
    private boolean json;
    private boolean wait;
    private Duration timeout = AdminServer.DEFAULT_WAIT;
    private AdminClient api;

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
            err.print(e.command == null ? usage() : e.command.flags().usage());
            return USAGE;
        } catch (Failure f) {
            err.println("kodiak ctl: " + f.getMessage());
            return f.code;
        }
    }

    /** {@code kodiak ctl --help}: every command with its arguments, the flags they share, and the exit codes. */
    public static String usage() {
        return CtlCommand.usage();
    }

    /** What {@code kodiak --help} says of {@code ctl}. */
    public static String summary() {
        return "Drive a running Kodiak through its admin API: status, drain, maint, ready, weight, reload, reopen-logs...";
    }

    /** A wrong command line: exit 2, with the usage of the command it was for (or of ctl). */
    static final class UsageException extends Exception {
        final CtlCommand command;

        UsageException(String m, CtlCommand command) {
            super(m);
            this.command = command;
        }
    }

    private int main(List<String> args) throws UsageException, Failure {
        String word = CtlCommand.anyFlags().firstArgument(args);
        if (word == null) {
            if (parse(CtlCommand.anyFlags(), args, null).help()) {
                out.print(usage());
                return OK;
            }
            throw new UsageException("missing command", null);
        }
        if (word.equals("help")) {
            return help(parse(CtlCommand.anyFlags(), args, null).arguments());
        }
        CtlCommand command = CtlCommand.named(word);
        if (command == null) {
            throw new UsageException("unknown command '" + word + "'", null);
        }
        Flags.Parsed flags = parse(command.flags(), args, command);
        if (flags.help()) {
            out.print(command.flags().usage());
            return OK;
        }
        List<String> rest = command.arguments(flags.arguments());
        json = flags.has("--json");
        wait = flags.has("--wait");
        token = flags.value("--token");
        if (flags.value("--timeout") != null) {
            try {
                timeout = Values.duration(flags.value("--timeout"));
            } catch (IllegalArgumentException e) {
                throw new UsageException("--timeout: " + e.getMessage(), command);
            }
            if (timeout.isZero() || timeout.isNegative() || timeout.compareTo(AdminServer.MAX_WAIT) > 0) {
                throw new UsageException("--timeout: must be more than 0 and at most 1h", command);
            }
        }
        if (flags.has("--all") || flags.value("--instances") != null) {
            return CtlFanout.run(command, flags, env, out, err);
        }
        String adminText = flags.value("--admin") != null ? flags.value("--admin") : env.apply("KODIAK_ADMIN");
        InetSocketAddress admin = adminText == null ? new InetSocketAddress("127.0.0.1", 9090) : address(adminText);
        String source = "--token";
        if (token == null) {
            token = env.apply("KODIAK_ADMIN_TOKEN");
            source = "KODIAK_ADMIN_TOKEN";
        }
        Path file = null;
        if (token == null || token.isEmpty()) {
            Path home = env.apply("KODIAK_HOME") != null ? Path.of(env.apply("KODIAK_HOME")) : TokenFile.home();
            file = TokenFile.of(home, admin);
            token = TokenFile.read(file);
            source = "file";
        }
        api = new AdminClient(admin, token);
        return switch (command) {
            case STATUS -> status(rest);
            case LIST -> list(rest);
            case DRAIN -> setState(rest, "drain");
            case MAINT -> setState(rest, "maint");
            case READY -> setState(rest, "ready");
            case WEIGHT -> weight(rest);
            case WAIT_DRAINED -> waitDrained(rest);
            case VERSION -> version(rest);
            case TOKEN -> printToken(admin, source, file);
            case RELOAD -> reload(rest);
            case REOPEN_LOGS -> reopenLogs();
            case ADD -> add(rest);
            case REMOVE -> remove(rest);
        };
    }

    /** {@code kodiak ctl help [COMMAND]}: as {@code --help}. */
    private int help(List<String> words) throws UsageException {
        if (words.size() <= 1) {
            out.print(usage());
            return OK;
        }
        CtlCommand command = words.size() == 2 ? CtlCommand.named(words.get(1)) : null;
        if (command == null) {
            throw new UsageException("expected: help [COMMAND]", null);
        }
        out.print(command.flags().usage());
        return OK;
    }

    private static Flags.Parsed parse(Flags flags, List<String> args, CtlCommand command) throws UsageException {
        try {
            return flags.parse(args);
        } catch (ConfigException e) {
            throw new UsageException(e.getMessage(), command);
        }
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
            throw new UsageException("admin address \"" + text + "\" is not host:port", null);
        }
    }

    // ------------------------------------------------------------------ commands

    private int status(List<String> rest) throws Failure {
        Map<String, Object> body = api.get(rest.isEmpty() ? "/v1/status" : "/v1/pools/" + enc(rest.get(0)));
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

    /** With {@code admin.shared-state}, a change the other instances were not told of is worth a line on stderr. */
    private void sharedNote(Map<String, Object> u) {
        Object shared = u.get("shared");
        if (shared != null && !shared.equals("ok")) {
            err.println("kodiak ctl: " + name(u) + ": changed on this instance only; the shared admin state: " + shared);
        }
    }

    private void table(List<String[]> rows) {
        table(out, rows);
    }

    /** Prints {@code rows} (the first is the header) in columns as wide as their widest cell. */
    static void table(PrintStream out, List<String[]> rows) {
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
        Map<String, Object> p = api.get("/v1/pools/" + enc(rest.get(0)));
        if (json) {
            out.println(Json.writePretty(list(p.get("upstreams")).stream().map(u -> map(u).get("name")).toList()));
            return OK;
        }
        for (Object u : list(p.get("upstreams"))) {
            out.println(str(map(u).get("name")));
        }
        return OK;
    }

    private int setState(List<String> rest, String state) throws UsageException, Failure {
        if (rest.size() == 1) {
            return addressState(address(rest, CtlCommand.named(state)), state);
        }
        String base = upstreamPath(rest);
        Map<String, Object> u = api.post(base + "/state", Map.of("state", state), null);
        sharedNote(u);
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

    private int waitDrained(List<String> rest) throws UsageException, Failure {
        return rest.size() == 1 ? awaitAddressDrained(address(rest, CtlCommand.WAIT_DRAINED)) : awaitDrained(upstreamPath(rest));
    }

    /** The one argument as an ADDRESS, checked here so that a lone POOL is a usage error, not a call. */
    private static String address(List<String> rest, CtlCommand command) throws UsageException {
        try {
            return AddressKey.parse(rest.get(0)).text();
        } catch (IllegalArgumentException e) {
            throw new UsageException(command.word() + ": one argument is an ADDRESS (HOST:PORT, [IPV6]:PORT or unix:/PATH): "
                    + e.getMessage() + "; for one upstream give POOL UPSTREAM", command);
        }
    }

    private int awaitDrained(String base) throws Failure {
        Map<String, Object> r = api.post(base + "/wait-drained", Map.of("timeout", Values.format(timeout)), timeout);
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
        Map<String, Object> r = api.post(base + "/wait-up", Map.of("timeout", Values.format(timeout)), timeout);
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
                throw new UsageException("weight: \"" + rest.get(2) + "\" is not a number (0-1000) or 'configured'",
                        CtlCommand.WEIGHT);
            }
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("weight", w);
        Map<String, Object> u = api.post(upstreamPath(rest) + "/weight", body, null);
        sharedNote(u);
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
                throw new UsageException("add: weight \"" + rest.get(3) + "\" is not a number", CtlCommand.ADD);
            }
        }
        Map<String, Object> u = api.post("/v1/pools/" + enc(rest.get(0)) + "/upstreams", body, null);
        if (json) {
            out.println(Json.writePretty(u));
        } else {
            out.println(name(u) + ": added at " + str(u.get("address")) + " (now " + str(u.get("state"))
                    + "; not in the config file: a reload or restart goes back to the file)");
        }
        return OK;
    }

    private int remove(List<String> rest) throws Failure {
        Map<String, Object> r = api.delete(upstreamPath(rest), Map.of("timeout", Values.format(timeout)), timeout);
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
        Map<String, Object> r = api.post("/v1/reload", Map.of(), Duration.ofSeconds(30));
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

    private int reopenLogs() throws Failure {
        Map<String, Object> r = api.post("/v1/reopen-logs", Map.of(), Duration.ofSeconds(30));
        if (json) {
            out.println(Json.writePretty(r));
            return OK;
        }
        List<Object> logs = list(r.get("reopened"));
        if (logs.isEmpty()) {
            out.println("no listener has an access log: nothing to reopen");
        }
        for (Object o : logs) {
            out.println("listener " + str(map(o).get("listener")) + ": reopened " + str(map(o).get("target")));
        }
        return OK;
    }

    private int version(List<String> rest) throws Failure {
        Map<String, Object> c = api.get("/v1/config");
        if (json) {
            out.println(Json.writePretty(c));
        } else {
            out.println("config " + str(c.get("config_version")) + (c.get("config_file") == null ? " (built-in)" : " from " + str(c.get("config_file")))
                    + ", started " + str(c.get("started_at")));
        }
        return OK;
    }

    /**
     * {@code kodiak ctl token}: the token this command line would send, found as every command
     * finds it, so that a person can paste it into the status page's login (the page cannot read
     * the owner-only token file, and should not: that is what the login is for). Asks Kodiak
     * nothing; exits 1 if there is no token to print.
     */
    private int printToken(InetSocketAddress admin, String source, Path file) throws Failure {
        String where = admin.getHostString() + ":" + admin.getPort();
        if (token == null || token.isEmpty()) {
            throw new Failure(REFUSED, "no admin token for " + where + ": none given by --token or KODIAK_ADMIN_TOKEN, and no token file "
                    + file + " (Kodiak writes it when it starts with neither admin.token nor KODIAK_ADMIN_TOKEN, and removes it at "
                    + "exit; is it running, with this --admin and KODIAK_HOME? With admin.token in its config, that is the token)");
        }
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("admin", where);
            m.put("token", token);
            m.put("source", source);
            m.put("file", file == null ? null : file.toString());
            out.println(Json.writePretty(m));
        } else {
            out.println(token);
        }
        return OK;
    }

    /**
     * {@code drain|maint|ready ADDRESS}: the address in every pool; a drain of an address no pool
     * has now is kept for upstreams made there later (the API answers 202). {@code --wait} waits
     * for all of them: drained, or UP one after the other.
     */
    private int addressState(String address, String state) throws Failure {
        Map<String, Object> r = api.post("/v1/addresses/state", Map.of("address", address, "state", state), null);
        List<Object> at = list(r.get("upstreams"));
        if (json && !wait) {
            out.println(Json.writePretty(r));
        } else if (!json) {
            String where = at.stream().map(o -> str(map(o).get("pool")) + "/" + str(map(o).get("upstream"))
                    + " (now " + str(map(o).get("state")) + ", " + str(map(o).get("in_flight")) + " in flight)")
                    .collect(java.util.stream.Collectors.joining(", "));
            out.println(str(r.get("address")) + ": " + state + (at.isEmpty() ? "; no pool has an upstream there now"
                    + (Boolean.TRUE.equals(r.get("preset")) ? ", so upstreams found there later start " + state : "")
                    : " in " + at.size() + " upstream(s): " + where));
        }
        if (!wait || at.isEmpty()) {
            return OK;
        }
        if (!state.equals("ready")) {
            return awaitAddressDrained(address);
        }
        int worst = OK;
        for (Object o : at) {
            worst = Math.max(worst, awaitUp(upstreamPath(List.of(str(map(o).get("pool")), str(map(o).get("upstream"))))));
        }
        return worst;
    }

    private int awaitAddressDrained(String address) throws Failure {
        Map<String, Object> r = api.post("/v1/addresses/wait-drained", Map.of("address", address, "timeout", Values.format(timeout)), timeout);
        boolean drained = Boolean.TRUE.equals(r.get("drained"));
        List<String> names = list(r.get("upstreams")).stream().map(u -> name(map(u))).toList();
        if (json) {
            out.println(Json.writePretty(r));
        } else if (drained) {
            out.println(str(r.get("address")) + ": drained (nothing in flight on " + String.join(", ", names) + ") after "
                    + str(r.get("waited_ms")) + " ms");
        }
        if (!drained) {
            err.println("kodiak ctl: " + str(r.get("address")) + ": still " + str(r.get("in_flight")) + " request(s) in flight on "
                    + String.join(", ", names) + " after " + Values.format(timeout));
            return TIMED_OUT;
        }
        return OK;
    }

    private static String upstreamPath(List<String> rest) {
        return "/v1/pools/" + enc(rest.get(0)) + "/upstreams/" + enc(rest.get(1));
    }

    private static String name(Map<String, Object> u) {
        return str(u.get("pool")) + "/" + str(u.get("name"));
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        return o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object o) {
        return o instanceof List<?> l ? (List<Object>) l : List.of();
    }

    static String str(Object o) {
        return o == null ? "-" : String.valueOf(o);
    }
}
