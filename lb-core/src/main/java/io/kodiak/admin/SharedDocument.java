package io.kodiak.admin;

import io.kodiak.upstream.AdminState;
import io.kodiak.upstream.Upstream;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The text every instance shares its admin states through ({@code state.json} of the
 * {@code admin.shared-state} ConfigMap): the {@link StateFile}'s format, read and written by it.
 * Only upstreams that differ from their configuration are listed, as in the state file; an
 * upstream that is not listed is READY at its configured weight. {@code "addresses"} holds the
 * drains by address.
 *
 * <p>Immutable. At most {@value #MAX_ENTRIES} entries: a bigger document is refused (someone wrote
 * it by hand, or it is not ours), so a ConfigMap cannot grow a Kodiak's memory.
 */
record SharedDocument(Map<String, Want> upstreams, Map<String, AdminState> addresses, Map<String, Long> since) {
    static final int MAX_ENTRIES = 4096;
    static final SharedDocument EMPTY = new SharedDocument(Map.of(), Map.of(), Map.of());

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
        upstreams = Collections.unmodifiableMap(new LinkedHashMap<>(upstreams));
        addresses = Collections.unmodifiableMap(new LinkedHashMap<>(addresses));
        since = Collections.unmodifiableMap(new LinkedHashMap<>(since));
    }

    /** The wants of {@code upstreams} that differ from their configuration. */
    static SharedDocument of(Iterable<Upstream> upstreams) {
        SharedDocument d = EMPTY;
        for (Upstream u : upstreams) {
            d = d.with(Want.of(u));
        }
        return d;
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
        StateFile.Saved saved = StateFile.parse(text);
        if (saved.upstreams().size() + saved.addresses().size() > MAX_ENTRIES) {
            throw new IllegalArgumentException((saved.upstreams().size() + saved.addresses().size()) + " entries, more than "
                    + MAX_ENTRIES);
        }
        Map<String, Want> wants = new LinkedHashMap<>();
        for (StateFile.Entry e : saved.upstreams()) {
            Want w = new Want(e.pool(), e.upstream(), e.state(), e.weight(), e.configuredWeight());
            wants.put(w.key(), w);
        }
        Map<String, AdminState> addresses = new LinkedHashMap<>();
        Map<String, Long> since = new LinkedHashMap<>();
        for (StateFile.AddressEntry a : saved.addresses()) {
            addresses.put(a.address(), a.state());
            since.put(a.address(), a.sinceMillis());
        }
        return new SharedDocument(wants, addresses, since);
    }

    /** This document with {@code w} in place of what it said of that upstream (a default want leaves it out). */
    SharedDocument with(Want w) {
        Map<String, Want> m = new LinkedHashMap<>(upstreams);
        m.remove(w.key());
        if (!w.isDefault()) {
            m.put(w.key(), w);
        }
        return new SharedDocument(m, addresses, since);
    }

    /** This document with {@code address} drained (or in maint) since {@code nowMillis}; READY leaves it out. */
    SharedDocument withAddress(String address, AdminState state, long nowMillis) {
        Map<String, AdminState> a = new LinkedHashMap<>(addresses);
        Map<String, Long> s = new LinkedHashMap<>(since);
        a.remove(address);
        s.remove(address);
        if (state != AdminState.READY) {
            a.put(address, state);
            s.put(address, nowMillis);
        }
        return new SharedDocument(upstreams, a, s);
    }

    /** The document's text, as {@link StateFile} writes its file, sorted so that the same states make the same text. */
    String text() {
        List<StateFile.Entry> entries = new ArrayList<>();
        for (Want w : upstreams.values().stream().sorted(Comparator.comparing(Want::key)).toList()) {
            entries.add(new StateFile.Entry(w.pool(), w.upstream(), w.state(), w.weight(), w.configuredWeight()));
        }
        List<StateFile.AddressEntry> list = new ArrayList<>();
        addresses.keySet().stream().sorted()
                .forEach(a -> list.add(new StateFile.AddressEntry(a, addresses.get(a), since.getOrDefault(a, 0L))));
        return StateFile.json(new StateFile.Saved(entries, list));
    }
}
