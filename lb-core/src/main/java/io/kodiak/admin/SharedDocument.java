package io.kodiak.admin;

import io.kodiak.upstream.AdminState;
import io.kodiak.upstream.Upstream;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The text every instance shares its admin states through ({@code state.json} of the
 * {@code admin.shared-state} ConfigMap), in the {@link StateFile}'s format: {@code {"kodiak-state":
 * 1, "upstreams": [{"pool", "upstream", "state", "weight", "configured-weight"}], "addresses":
 * [...]}}. Only upstreams that differ from their configuration are listed, as in the state file;
 * an upstream that is not listed is READY at its configured weight. The {@code "addresses"} list
 * (drains by address) is carried through unchanged by a change to an upstream.
 *
 * <p>Immutable. At most {@value #MAX_ENTRIES} upstream entries: a bigger document is refused
 * (someone wrote it by hand, or it is not ours), so a ConfigMap cannot grow a Kodiak's memory.
 */
record SharedDocument(Map<String, Want> upstreams, List<Object> addresses) {
    static final int MAX_ENTRIES = 4096;
    static final SharedDocument EMPTY = new SharedDocument(Map.of(), List.of());

    /** What the document wants of one upstream; READY with weight -1 is what it says by leaving it out. */
    record Want(String pool, String upstream, AdminState state, int weight, int configuredWeight) {
        static Want of(Upstream u) {
            return new Want(u.pool(), u.name(), u.adminState(), u.weightOverridden() ? u.weight() : -1, u.configuredWeight());
        }

        String key() {
            return pool + "/" + upstream;
        }

        boolean isDefault() {
            return state == AdminState.READY && weight < 0;
        }
    }

    SharedDocument {
        upstreams = Map.copyOf(upstreams);
        addresses = List.copyOf(addresses);
    }

    /** The wants of {@code upstreams} that differ from their configuration. */
    static SharedDocument of(Iterable<Upstream> upstreams) {
        Map<String, Want> m = new LinkedHashMap<>();
        for (Upstream u : upstreams) {
            Want w = Want.of(u);
            if (!w.isDefault()) {
                m.put(w.key(), w);
            }
        }
        return new SharedDocument(m, List.of());
    }

    /**
     * Reads {@code text}; {@code null} or blank (no ConfigMap yet, or no key) is the empty document.
     *
     * @throws IllegalArgumentException saying what is wrong with it
     */
    static SharedDocument parse(String text) {
        if (text == null || text.isBlank()) {
            return EMPTY;
        }
        Object root;
        try {
            root = Json.parse(text);
        } catch (Json.ParseException e) {
            throw new IllegalArgumentException("not JSON: " + e.getMessage());
        }
        if (!(root instanceof Map<?, ?> top) || !(top.get("kodiak-state") instanceof Long v) || v != StateFile.FORMAT
                || !(top.get("upstreams") instanceof List<?> list)) {
            throw new IllegalArgumentException("not a Kodiak state document (expected {\"kodiak-state\": 1, \"upstreams\": [...]})");
        }
        if (list.size() > MAX_ENTRIES) {
            throw new IllegalArgumentException(list.size() + " upstream entries, more than " + MAX_ENTRIES);
        }
        Map<String, Want> m = new LinkedHashMap<>();
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof Map<?, ?> e) || !(e.get("pool") instanceof String pool)
                    || !(e.get("upstream") instanceof String name) || !(e.get("state") instanceof String state)
                    || !(e.get("configured-weight") instanceof Long cw) || !(e.get("weight") == null || e.get("weight") instanceof Long)) {
                throw new IllegalArgumentException("upstreams[" + i + "]: expected pool, upstream, state, weight and configured-weight");
            }
            long weight = e.get("weight") == null ? -1 : (Long) e.get("weight");
            if (weight < -1 || weight > 1000) {
                throw new IllegalArgumentException("upstreams[" + i + "].weight: " + weight + " is not 0-1000");
            }
            Want w = new Want(pool, name, AdminState.parse(state), (int) weight, (int) (long) cw);
            m.put(w.key(), w);
        }
        List<Object> addresses = top.get("addresses") instanceof List<?> a ? new ArrayList<>(a) : List.of();
        return new SharedDocument(m, addresses);
    }

    /** This document with {@code w} in place of what it said of that upstream (a default want leaves it out). */
    SharedDocument with(Want w) {
        Map<String, Want> m = new LinkedHashMap<>(upstreams);
        m.remove(w.key());
        if (!w.isDefault()) {
            m.put(w.key(), w);
        }
        return new SharedDocument(m, addresses);
    }

    /** The document's text, as {@link StateFile} writes its file. */
    String text() {
        List<Object> list = new ArrayList<>();
        // Sorted, so that the same states always make the same text (watchers see no change that is none).
        for (Want w : upstreams.values().stream().sorted(java.util.Comparator.comparing(Want::key)).toList()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("pool", w.pool());
            m.put("upstream", w.upstream());
            m.put("state", w.state().apiName());
            m.put("weight", w.weight() < 0 ? null : w.weight());
            m.put("configured-weight", w.configuredWeight());
            list.add(m);
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("kodiak-state", StateFile.FORMAT);
        root.put("upstreams", list);
        root.put("addresses", addresses);
        return Json.writePretty(root) + "\n";
    }
}
