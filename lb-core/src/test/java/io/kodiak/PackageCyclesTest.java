package io.kodiak;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * No two packages of lb-core's main sources depend on each other, directly or round a longer
 * loop. A dependency is any reference in code (comments and string literals removed) to a type
 * of another lb-core package: an import, or a fully qualified name such as
 * {@code io.kodiak.buffer.TempDir.prepare(...)}. A cycle is reported with the files behind each
 * of its edges.
 *
 * <p>Cycles allowed for now are listed in {@link #KNOWN}; the test fails if one of them grows, if
 * one is gone (then its allowance goes too), and on any other cycle.
 */
class PackageCyclesTest {
    /**
     * None. The last one, {@code balancer <-> upstream}, went when strategies came to pick
     * {@code balancer.Backend}s (a narrow view that {@code Upstream} implements) instead of
     * {@code Upstream}s: now only {@code upstream} depends on {@code balancer}.
     */
    static final List<Set<String>> KNOWN = List.of();

    /** A qualified name: the package is the lower-case segments before a type (or {@code *}). */
    private static final Pattern QUALIFIED = Pattern.compile("\\bio\\.kodiak((?:\\.[a-z_][a-z0-9_]*)*)\\.(?:[A-Z_$][\\w$]*|\\*)");
    private static final Pattern PACKAGE = Pattern.compile("^\\s*package\\s+([\\w.]+)\\s*;", Pattern.MULTILINE);

    @Test
    void noPackageCyclesInMainSources() throws IOException {
        Map<String, Map<String, Set<String>>> edges = dependencies(mainSources());
        List<Set<String>> cycles = new ArrayList<>();
        StringBuilder report = new StringBuilder();
        for (Set<String> scc : stronglyConnected(edges)) {
            if (scc.size() < 2) {
                continue;
            }
            cycles.add(scc);
            if (!KNOWN.contains(scc)) {
                report.append("cycle between ").append(scc).append(":\n");
                for (String from : scc) {
                    edges.getOrDefault(from, Map.of()).forEach((to, files) -> {
                        if (scc.contains(to)) {
                            report.append("  ").append(from).append(" -> ").append(to).append(": ").append(files).append('\n');
                        }
                    });
                }
            }
        }
        for (Set<String> known : KNOWN) {
            if (!cycles.contains(known)) {
                report.append("the known cycle ").append(known).append(" is gone: remove it from KNOWN\n");
            }
        }
        if (!report.isEmpty()) {
            fail(report.toString());
        }
    }

    @Test
    void theScannerSeesImportsAndQualifiedNamesButNotCommentsOrStrings() {
        Map<String, Set<String>> refs = new TreeMap<>();
        String source = """
                package io.kodiak.a;
                import io.kodiak.b.Thing;
                import static io.kodiak.c.Util.helper;
                import io.kodiak.d.*;
                /** See {@link io.kodiak.e.Doc}. */
                class X {
                    // io.kodiak.f.Comment
                    String s = "io.kodiak.g.Str";
                    Object o = io.kodiak.h.Temp.prepare(io.kodiak.Kodiak.class);
                    char c = '"';
                    Object p = io.kodiak.a.Same.X;
                }
                """;
        references(source, "X.java", refs);
        assertEquals(Set.of("io.kodiak", "io.kodiak.b", "io.kodiak.c", "io.kodiak.d", "io.kodiak.h"), refs.keySet());
        Map<String, Map<String, Set<String>>> loop = new TreeMap<>();
        loop.put("a", Map.of("b", Set.of()));
        loop.put("b", Map.of("c", Set.of()));
        loop.put("c", Map.of("a", Set.of()));
        loop.put("d", Map.of("a", Set.of()));
        assertTrue(stronglyConnected(loop).contains(Set.of("a", "b", "c")));
    }

    private static List<Path> mainSources() throws IOException {
        Path root = Path.of("src/main/java");
        if (!Files.isDirectory(root)) {
            root = Path.of("lb-core/src/main/java"); // run from the repository root
        }
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(f -> f.toString().endsWith(".java")).sorted().toList();
        }
    }

    /** Package to package to the files that make the edge; only lb-core's own packages count. */
    private static Map<String, Map<String, Set<String>>> dependencies(List<Path> files) throws IOException {
        Map<String, String> packageOf = new HashMap<>();
        Map<String, Map<String, Set<String>>> refsOf = new HashMap<>();
        for (Path f : files) {
            String text = Files.readString(f);
            Matcher m = PACKAGE.matcher(text);
            String pkg = m.find() ? m.group(1) : "";
            String name = f.getFileName().toString();
            packageOf.put(f.toString(), pkg);
            Map<String, Set<String>> refs = new TreeMap<>();
            references(text, pkg.replace('.', '/') + "/" + name, refs);
            refsOf.put(f.toString(), refs);
        }
        Set<String> ours = new TreeSet<>(packageOf.values());
        Map<String, Map<String, Set<String>>> edges = new TreeMap<>();
        refsOf.forEach((file, refs) -> {
            String from = packageOf.get(file);
            refs.forEach((to, where) -> {
                if (!to.equals(from) && ours.contains(to)) {
                    edges.computeIfAbsent(from, k -> new TreeMap<>()).computeIfAbsent(to, k -> new TreeSet<>()).addAll(where);
                }
            });
        });
        return edges;
    }

    /** Adds to {@code refs} every package {@code source} names in code, with {@code file} as where. */
    static void references(String source, String file, Map<String, Set<String>> refs) {
        Matcher m = QUALIFIED.matcher(codeOnly(source));
        while (m.find()) {
            refs.computeIfAbsent("io.kodiak" + m.group(1), k -> new TreeSet<>()).add(file);
        }
        String own = PACKAGE.matcher(source).results().map(r -> r.group(1)).findFirst().orElse("");
        refs.remove(own);
    }

    /** {@code source} with comments, string and character literals (text blocks too) blanked out. */
    static String codeOnly(String s) {
        StringBuilder out = new StringBuilder(s.length());
        int i = 0;
        int n = s.length();
        while (i < n) {
            char c = s.charAt(i);
            if (c == '/' && i + 1 < n && s.charAt(i + 1) == '/') {
                while (i < n && s.charAt(i) != '\n') {
                    i++;
                }
            } else if (c == '/' && i + 1 < n && s.charAt(i + 1) == '*') {
                int end = s.indexOf("*/", i + 2);
                i = end < 0 ? n : end + 2;
                out.append(' ');
            } else if (s.startsWith("\"\"\"", i)) {
                int end = s.indexOf("\"\"\"", i + 3);
                while (end > 0 && s.charAt(end - 1) == '\\') {
                    end = s.indexOf("\"\"\"", end + 1);
                }
                i = end < 0 ? n : end + 3;
                out.append("\"\"");
            } else if (c == '"' || c == '\'') {
                i++;
                while (i < n && s.charAt(i) != c) {
                    i += s.charAt(i) == '\\' ? 2 : 1;
                }
                i++;
                out.append(c).append(c);
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    /** Tarjan's strongly connected components, iteratively (no recursion depth to worry about). */
    static List<Set<String>> stronglyConnected(Map<String, ? extends Map<String, ?>> edges) {
        Set<String> nodes = new TreeSet<>(edges.keySet());
        edges.values().forEach(m -> nodes.addAll(m.keySet()));
        Map<String, Integer> index = new HashMap<>();
        Map<String, Integer> low = new HashMap<>();
        Deque<String> stack = new ArrayDeque<>();
        Set<String> onStack = new java.util.HashSet<>();
        List<Set<String>> out = new ArrayList<>();
        int[] counter = {0};
        for (String start : nodes) {
            if (index.containsKey(start)) {
                continue;
            }
            Deque<Map.Entry<String, java.util.Iterator<String>>> work = new ArrayDeque<>();
            visit(start, index, low, stack, onStack, counter, edges, work);
            while (!work.isEmpty()) {
                Map.Entry<String, java.util.Iterator<String>> top = work.peek();
                String v = top.getKey();
                if (top.getValue().hasNext()) {
                    String w = top.getValue().next();
                    if (!index.containsKey(w)) {
                        visit(w, index, low, stack, onStack, counter, edges, work);
                    } else if (onStack.contains(w)) {
                        low.put(v, Math.min(low.get(v), index.get(w)));
                    }
                    continue;
                }
                work.pop();
                if (!work.isEmpty()) {
                    String parent = work.peek().getKey();
                    low.put(parent, Math.min(low.get(parent), low.get(v)));
                }
                if (low.get(v).equals(index.get(v))) {
                    Set<String> scc = new TreeSet<>();
                    String w;
                    do {
                        w = stack.pop();
                        onStack.remove(w);
                        scc.add(w);
                    } while (!w.equals(v));
                    out.add(scc);
                }
            }
        }
        return out;
    }

    private static void visit(String v, Map<String, Integer> index, Map<String, Integer> low, Deque<String> stack,
                              Set<String> onStack, int[] counter, Map<String, ? extends Map<String, ?>> edges,
                              Deque<Map.Entry<String, java.util.Iterator<String>>> work) {
        index.put(v, counter[0]);
        low.put(v, counter[0]);
        counter[0]++;
        stack.push(v);
        onStack.add(v);
        Map<String, ?> next = edges.get(v);
        List<String> targets = next == null ? List.of() : new ArrayList<>(next.keySet());
        work.push(Map.entry(v, targets.iterator()));
    }
}
