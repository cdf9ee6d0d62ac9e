package io.kodiak.admin;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code kodiak ctl status --all}: the instances side by side, so that an operator sees at once
 * whether every Kodiak agrees on every upstream. One row per {@code pool/upstream} (every row any
 * instance has, in the order first seen), one column per instance, each cell {@code STATE
 * IN-FLIGHT}. A row whose state differs between the instances that answered (or that some of
 * them do not have) starts with {@code *}. An instance that could not be reached has
 * {@code unreachable} in its column, one that refused {@code error}; the exit code is the worst
 * ({@link CtlFanout#worst}), and the reasons go to standard error.
 *
 * <p>With {@code --json}: {@code {"instances": [{"admin": A, "status": {...}} | {"admin": A,
 * "error": "..."}]}}, each status exactly as that instance's {@code GET /v1/status} answered.
 */
final class SideBySide {
    private SideBySide() {
    }

    /** Prints {@code results} (runs of {@code status --json}) as the class comment says; returns the exit code. */
    static int print(List<CtlFanout.Result> results, boolean json, PrintStream out, PrintStream err) {
        if (json) {
            List<Object> list = new ArrayList<>();
            for (CtlFanout.Result r : results) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("admin", r.instance());
                if (r.code() == Ctl.OK && r.json() != null) {
                    m.put("status", r.json());
                } else {
                    m.put("error", r.error());
                }
                list.add(m);
            }
            out.println(Json.writePretty(Map.of("instances", list)));
            return CtlFanout.worst(results);
        }
        Map<String, String[]> rows = new LinkedHashMap<>();
        Map<String, Set<String>> states = new LinkedHashMap<>();
        for (int i = 0; i < results.size(); i++) {
            CtlFanout.Result r = results.get(i);
            if (r.code() != Ctl.OK) {
                continue;
            }
            for (Object po : pools(r.json())) {
                Map<String, Object> p = Ctl.map(po);
                for (Object uo : Ctl.list(p.get("upstreams"))) {
                    Map<String, Object> u = Ctl.map(uo);
                    String key = Ctl.str(p.get("name")) + "/" + Ctl.str(u.get("name"));
                    String state = Ctl.str(u.get("state"));
                    rows.computeIfAbsent(key, k -> new String[results.size()])[i] = state + " " + Ctl.str(u.get("in_flight"));
                    states.computeIfAbsent(key, k -> new LinkedHashSet<>()).add(state);
                }
            }
        }
        List<String[]> table = new ArrayList<>();
        String[] header = new String[results.size() + 2];
        header[0] = "";
        header[1] = "POOL/UPSTREAM";
        for (int i = 0; i < results.size(); i++) {
            header[i + 2] = results.get(i).instance();
        }
        table.add(header);
        for (Map.Entry<String, String[]> row : rows.entrySet()) {
            String[] line = new String[results.size() + 2];
            boolean differs = states.get(row.getKey()).size() > 1;
            for (int i = 0; i < results.size(); i++) {
                CtlFanout.Result r = results.get(i);
                String cell = row.getValue()[i];
                if (r.code() == Ctl.OK && cell == null) {
                    differs = true; // this instance has no such upstream
                }
                line[i + 2] = r.code() == Ctl.UNREACHABLE ? "unreachable" : r.code() != Ctl.OK ? "error" : cell == null ? "-" : cell;
            }
            line[0] = differs ? "*" : "";
            line[1] = row.getKey();
            table.add(line);
        }
        if (rows.isEmpty()) {
            String[] line = new String[results.size() + 2];
            line[0] = "";
            line[1] = "(no upstream)";
            for (int i = 0; i < results.size(); i++) {
                int code = results.get(i).code();
                line[i + 2] = code == Ctl.UNREACHABLE ? "unreachable" : code != Ctl.OK ? "error" : "-";
            }
            table.add(line);
        }
        Ctl.table(out, table);
        for (CtlFanout.Result r : results) {
            if (r.code() != Ctl.OK) {
                err.println("kodiak ctl: " + r.instance() + ": " + r.error());
            }
        }
        return CtlFanout.worst(results);
    }

    /** The pools of a {@code /v1/status} answer, or of a {@code /v1/pools/P} one ({@code status POOL}). */
    private static List<Object> pools(Object status) {
        Map<String, Object> m = Ctl.map(status);
        return m.containsKey("pools") ? Ctl.list(m.get("pools")) : m.isEmpty() ? List.of() : List.of(m);
    }
}
