package io.kodiak.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The conditions of a route besides host, server name and path: {@code methods},
 * {@code headers}, {@code cookies}, {@code query} and {@code source}. All must hold. At the same
 * path rank a route with more of them is tried first ({@link #count()}).
 *
 * @param methods the request methods (any of them), empty for any
 * @param headers conditions on request fields by lower-case name
 * @param cookies conditions on cookies by name (case-sensitive, as browsers treat them)
 * @param query   conditions on query parameters by decoded name
 * @param sources client address ranges (any of them), empty for any
 */
public record RouteConditions(List<String> methods, Map<String, FieldCondition> headers,
                              Map<String, FieldCondition> cookies, Map<String, FieldCondition> query,
                              List<Cidr> sources) {
    /** No condition. */
    public static final RouteConditions NONE = new RouteConditions(List.of(), Map.of(), Map.of(), Map.of(), List.of());

    public RouteConditions {
        methods = List.copyOf(new TreeSet<>(methods)); // a set: order does not matter
        headers = java.util.Collections.unmodifiableMap(new TreeMap<>(headers));
        cookies = java.util.Collections.unmodifiableMap(new TreeMap<>(cookies));
        query = java.util.Collections.unmodifiableMap(new TreeMap<>(query));
        sources = List.copyOf(new java.util.LinkedHashSet<>(sources));
    }

    /** How many conditions: one for the methods, one for the sources, one per field, cookie and parameter. */
    public int count() {
        return (methods.isEmpty() ? 0 : 1) + (sources.isEmpty() ? 0 : 1) + headers.size() + cookies.size() + query.size();
    }

    public boolean isEmpty() {
        return count() == 0;
    }

    /** Whether every request that meets {@code other} meets these too (used to find routes that never match). */
    boolean impliedBy(RouteConditions other) {
        if (!methods.isEmpty() && (other.methods.isEmpty() || !methods.containsAll(other.methods))) {
            return false;
        }
        if (!sources.isEmpty() && (other.sources.isEmpty()
                || !other.sources.stream().allMatch(o -> sources.stream().anyMatch(s -> s.covers(o))))) {
            return false;
        }
        return implied(headers, other.headers) && implied(cookies, other.cookies) && implied(query, other.query);
    }

    private static boolean implied(Map<String, FieldCondition> mine, Map<String, FieldCondition> theirs) {
        for (Map.Entry<String, FieldCondition> e : mine.entrySet()) {
            FieldCondition t = theirs.get(e.getKey());
            if (t == null || !e.getValue().impliedBy(t)) {
                return false;
            }
        }
        return true;
    }

    /** As a route's description reads them, e.g. {@code methods GET,HEAD; header x-beta: true}. */
    public String describe() {
        List<String> parts = new ArrayList<>();
        if (!methods.isEmpty()) {
            parts.add("methods " + String.join(",", methods));
        }
        headers.forEach((k, v) -> parts.add("header " + k + ": " + v));
        cookies.forEach((k, v) -> parts.add("cookie " + k + ": " + v));
        query.forEach((k, v) -> parts.add("query " + k + ": " + v));
        if (!sources.isEmpty()) {
            parts.add("source " + sources.stream().map(Cidr::toString).reduce((a, b) -> a + "," + b).orElse(""));
        }
        return String.join("; ", parts);
    }
}
