package io.kodiak.admin;

import io.kodiak.config.Flags;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

/**
 * {@code kodiak ctl ... --all}: one command on every Kodiak instance of {@code --instances} (or
 * {@code $KODIAK_INSTANCES}), for a site that runs several behind DNS or a load balancer of its
 * own. HAProxy has no such thing (users loop over their instances, haproxytech/kubernetes-ingress#665);
 * neither have Traefik or Caddy.
 *
 * <p>It wraps the single-instance path rather than repeat it: each instance runs the same command
 * line through {@link Ctl#run} with {@code --admin INSTANCE}, in parallel on at most
 * {@value #THREADS} threads, and its output is printed afterwards, in the order the instances were
 * given, each line prefixed by the instance. So every command, and any form a later change gives a
 * command, works with {@code --all} as it does alone. Three commands differ:
 * <ul>
 *   <li>{@code drain}, {@code maint} and {@code ready} with {@code --wait} apply the change on every
 *       instance first and only then wait on every instance ({@code wait-drained}, or {@code ready
 *       --wait}), so that no instance keeps sending requests to a node while another is waited for;</li>
 *   <li>{@code status} prints one table with the instances side by side ({@link SideBySide}).</li>
 * </ul>
 * The exit code is the worst of the instances', in the order 4 (unreachable) &gt; 3 (a wait timed
 * out) &gt; 2 &gt; 1 (refused) &gt; 0, which is the numeric order of {@link Ctl}'s codes.
 *
 * <p>Threading: the command line's thread starts the runs and blocks until all are done (this is
 * the command-line client; a run's own calls are bounded by {@link AdminClient}'s timeouts).
 */
final class CtlFanout {
    /** More instances than this is a mistake in the list (or a DNS answer gone wild). */
    static final int MAX_INSTANCES = 256;
    /** Instances asked at once. */
    static final int THREADS = 8;

    /** One instance's run: its exit code and what it printed. */
    record Result(String instance, int code, String out, String err) {
        /** The JSON it printed (run with {@code --json}), or {@code null} if it printed none. */
        Object json() {
            try {
                return code == Ctl.OK || code == Ctl.TIMED_OUT ? Json.parse(out) : null;
            } catch (Json.ParseException e) {
                return null;
            }
        }

        /** Its error message without the {@code kodiak ctl: } prefix, on one line. */
        String error() {
            return err.strip().replace("kodiak ctl: ", "").replace('\n', ' ');
        }
    }

    private CtlFanout() {
    }

    /** Runs {@code command} as {@code flags} say on every instance; see the class comment. */
    static int run(CtlCommand command, Flags.Parsed flags, Function<String, String> env, PrintStream out, PrintStream err)
            throws Ctl.UsageException {
        if (!flags.has("--all")) {
            throw new Ctl.UsageException("--instances names the instances that --all reaches: add --all "
                    + "(or use --admin HOST:PORT for one)", command);
        }
        if (flags.value("--admin") != null) {
            throw new Ctl.UsageException("--admin names one instance, --all every one: give one of them", command);
        }
        String list = flags.value("--instances") != null ? flags.value("--instances") : env.apply("KODIAK_INSTANCES");
        if (list == null || list.isBlank()) {
            throw new Ctl.UsageException("--all: which instances? Give --instances HOST:PORT,HOST:PORT (or dns:NAME:PORT), "
                    + "or set KODIAK_INSTANCES", command);
        }
        List<String> instances;
        try {
            instances = instances(list);
        } catch (UnknownHostException e) {
            err.println("kodiak ctl: --instances: " + e.getMessage());
            return Ctl.UNREACHABLE;
        } catch (Ctl.UsageException e) {
            throw new Ctl.UsageException(e.getMessage(), command);
        }
        boolean json = flags.has("--json");
        if (command == CtlCommand.STATUS) {
            List<Result> results = runAll(instances, i -> line("status", flags, i, true, Set.of()), env);
            return SideBySide.print(results, json, out, err);
        }
        boolean twoPhase = flags.has("--wait") && (command == CtlCommand.DRAIN || command == CtlCommand.MAINT
                || command == CtlCommand.READY);
        if (!twoPhase) {
            return report(runAll(instances, i -> line(command.word(), flags, i, json, Set.of()), env), null, json, out, err);
        }
        List<Result> applied = runAll(instances, i -> line(command.word(), flags, i, json, Set.of("--wait", "--timeout")), env);
        List<String> reached = new ArrayList<>();
        for (Result r : applied) {
            if (r.code() == Ctl.OK) {
                reached.add(r.instance());
            }
        }
        // The change is in force everywhere it could be; now wait where it is.
        String then = command == CtlCommand.READY ? "ready" : "wait-drained";
        Set<String> drop = command == CtlCommand.READY ? Set.of() : Set.of("--wait");
        List<Result> waited = runAll(reached, i -> line(then, flags, i, json, drop), env);
        return report(applied, waited, json, out, err);
    }

    /**
     * The instances {@code list} names: {@code HOST:PORT} entries separated by commas, and
     * {@code dns:NAME:PORT} for every A/AAAA address of NAME (resolved here: the command line may block).
     * Duplicates count once.
     *
     * @throws Ctl.UsageException   for an entry that is not {@code HOST:PORT}, or too many instances
     * @throws UnknownHostException if a {@code dns:} name has no address
     */
    static List<String> instances(String list) throws Ctl.UsageException, UnknownHostException {
        Set<String> out = new LinkedHashSet<>();
        for (String raw : list.split(",")) {
            String entry = raw.strip();
            if (entry.isEmpty()) {
                continue;
            }
            boolean dns = entry.startsWith("dns:");
            String hostPort = dns ? entry.substring(4) : entry;
            int colon = hostPort.lastIndexOf(':');
            String host = colon > 0 ? hostPort.substring(0, colon) : "";
            String port = colon > 0 ? hostPort.substring(colon + 1) : "";
            if (host.isEmpty() || !port.matches("[0-9]{1,5}") || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
                throw new Ctl.UsageException("--instances: \"" + entry + "\" is not " + (dns ? "dns:NAME:PORT" : "HOST:PORT"), null);
            }
            if (!dns) {
                out.add(hostPort);
                continue;
            }
            for (InetAddress a : InetAddress.getAllByName(host)) {
                String text = a.getHostAddress();
                out.add((text.indexOf(':') >= 0 ? "[" + text + "]" : text) + ":" + port);
            }
            if (out.size() > MAX_INSTANCES) {
                break;
            }
        }
        if (out.isEmpty()) {
            throw new Ctl.UsageException("--instances: no instance in \"" + list + "\"", null);
        }
        if (out.size() > MAX_INSTANCES) {
            throw new Ctl.UsageException("--instances: more than " + MAX_INSTANCES + " instances", null);
        }
        return List.copyOf(out);
    }

    /**
     * The single-instance command line for {@code instance}: the command's own flags and arguments
     * without {@code --all}, {@code --instances}, {@code drop}; with {@code --json} if {@code json}.
     */
    private static List<String> line(String word, Flags.Parsed flags, String instance, boolean json, Set<String> drop) {
        List<String> args = new ArrayList<>();
        args.add(word);
        for (Map.Entry<String, String> v : flags.values().entrySet()) {
            if (!v.getKey().equals("--instances") && !drop.contains(v.getKey())) {
                args.add(v.getKey() + "=" + v.getValue());
            }
        }
        for (String t : flags.toggles()) {
            if (!t.equals("--all") && !t.equals("--json") && !drop.contains(t)) {
                args.add(t);
            }
        }
        if (json) {
            args.add("--json");
        }
        args.add("--admin=" + instance);
        args.add("--");
        args.addAll(flags.arguments().subList(1, flags.arguments().size()));
        return args;
    }

    /** Runs {@code lineFor(instance)} on every instance, at most {@value #THREADS} at once; results in instance order. */
    static List<Result> runAll(List<String> instances, Function<String, List<String>> lineFor, Function<String, String> env) {
        if (instances.isEmpty()) {
            return List.of();
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(THREADS, instances.size()), r -> {
            Thread t = new Thread(r, "kodiak-ctl-all");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<Result>> futures = new ArrayList<>();
            for (String instance : instances) {
                futures.add(pool.submit(() -> one(instance, lineFor.apply(instance), env)));
            }
            List<Result> results = new ArrayList<>();
            for (int i = 0; i < futures.size(); i++) {
                try {
                    results.add(futures.get(i).get());
                } catch (java.util.concurrent.ExecutionException e) {
                    results.add(new Result(instances.get(i), Ctl.UNREACHABLE, "", "kodiak ctl: " + e.getCause()));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    results.add(new Result(instances.get(i), Ctl.UNREACHABLE, "", "kodiak ctl: interrupted"));
                }
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    private static Result one(String instance, List<String> line, Function<String, String> env) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        int code = Ctl.run(line, new PrintStream(o, true, StandardCharsets.UTF_8), new PrintStream(e, true, StandardCharsets.UTF_8), env);
        return new Result(instance, code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    /** The worst exit code of {@code results}: 4 &gt; 3 &gt; 2 &gt; 1 &gt; 0. */
    static int worst(List<Result> results) {
        return results.stream().mapToInt(Result::code).max().orElse(Ctl.OK);
    }

    /**
     * Prints every instance's output, prefixed by the instance; with {@code --json} one document
     * {@code {"instances": [{"admin", "exit", "result"} | {"admin", "exit", "error"}]}} (with a
     * second phase, {@code "applied"} is the change's answer and {@code "result"} the wait's).
     */
    private static int report(List<Result> applied, List<Result> waited, boolean json, PrintStream out, PrintStream err) {
        Map<String, Result> second = new LinkedHashMap<>();
        if (waited != null) {
            waited.forEach(r -> second.put(r.instance(), r));
        }
        List<Result> all = new ArrayList<>(applied);
        all.addAll(second.values());
        if (json) {
            List<Object> list = new ArrayList<>();
            for (Result a : applied) {
                Result last = second.getOrDefault(a.instance(), a);
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("admin", a.instance());
                m.put("exit", last.code());
                if (last != a) {
                    m.put("applied", a.json());
                }
                if (last.json() != null) {
                    m.put("result", last.json());
                }
                if (!last.err().isBlank()) {
                    m.put("error", last.error());
                }
                list.add(m);
            }
            out.println(Json.writePretty(Map.of("instances", list)));
        } else {
            for (Result a : applied) {
                prefixed(a, out, err);
                Result w = second.get(a.instance());
                if (w != null) {
                    prefixed(w, out, err);
                }
            }
        }
        return worst(all);
    }

    private static void prefixed(Result r, PrintStream out, PrintStream err) {
        r.out().lines().forEach(l -> out.println(r.instance() + ": " + l));
        r.err().lines().filter(l -> !l.isBlank()).forEach(l -> err.println(r.instance() + ": " + l));
    }
}
