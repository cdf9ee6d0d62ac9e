package io.kodiak.admin;

import io.kodiak.upstream.AdminPresets;
import io.kodiak.upstream.AdminState;
import io.kodiak.upstream.PoolRuntime;
import io.kodiak.upstream.Upstream;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/**
 * The admin states and weights set at runtime, kept in a JSON file so that they survive a restart
 * and a reload (HAProxy loses them unless {@code server-state-file} is set up; here it is the default).
 *
 * <pre>{@code
 * {
 *   "kodiak-state": 1,
 *   "upstreams": [
 *     {"pool": "app", "upstream": "web-2", "state": "drain", "weight": null, "configured-weight": 1},
 *     {"pool": "app", "upstream": "app[10.0.0.5:8000]", "state": "drain", "weight": null,
 *      "configured-weight": -1, "since": "2026-12-05T09:00:00Z"}
 *   ],
 *   "addresses": [{"address": "10.0.0.5:8000", "state": "drain", "since": "2026-12-05T09:00:00Z"}]
 * }
 * }</pre>
 * Only upstreams that differ from the configuration are listed. A weight set at runtime is
 * restored only while the configured weight is still the one it was set against (HAProxy's rule
 * too): whoever changed the file meant the new weight.
 *
 * <p>Discovered upstreams ({@code ENTRY[ADDRESS]}) do not exist yet when the file is read: DNS or
 * Kubernetes has not answered. Their entries become <em>presets</em> ({@link AdminPresets}) that the
 * pool applies when it makes the upstream, and they are written back while they wait, with the
 * time they were set ({@code since}; {@code configured-weight} -1: not known yet). So are the drains
 * by address ({@code "addresses"}), which hold for every upstream at that address made later in any
 * pool. A preset older than {@link #PRESET_LIFETIME} is dropped at load with a log line: an address
 * gone for a day is not coming back as the same server. Entries for other upstreams no longer in
 * the configuration are dropped with a log line. A file without {@code "addresses"} (written before
 * they existed) loads as before.
 *
 * <p>The file is written to a temporary file in the same directory, flushed to disk and moved over
 * the old one, so a crash leaves the old or the new file, never half of one.
 */
public final class StateFile {
    private static final Logger LOG = Logger.getLogger(StateFile.class.getName());
    static final int FORMAT = 1;
    /** How long a preset waits for its upstream (design §1.6): after that, the address is taken to be gone for good. */
    public static final Duration PRESET_LIFETIME = AdminPresets.LIFETIME;
    /** The shape of a discovered upstream's name: {@code app[10.0.0.5:8000]}, {@code web[[fd00::5]:8000]}. */
    private static final Pattern DISCOVERED = Pattern.compile(".+\\[.+]");

    /**
     * One upstream's saved state.
     *
     * @param weight      -1 for the configured one
     * @param sinceMillis when a preset was set (wall clock), 0 for an entry of an upstream that exists
     */
    public record Entry(String pool, String upstream, AdminState state, int weight, int configuredWeight, long sinceMillis) {
        public Entry(String pool, String upstream, AdminState state, int weight, int configuredWeight) {
            this(pool, upstream, state, weight, configuredWeight, 0);
        }
    }

    /** A drain (or maint) by address, for upstreams made there later; {@code address} as {@link AddressKey#presetKeys()}. */
    public record AddressEntry(String address, AdminState state, long sinceMillis) {
    }

    /** The whole file: per upstream, and per address. */
    public record Saved(List<Entry> upstreams, List<AddressEntry> addresses) {
        public static final Saved EMPTY = new Saved(List.of(), List.of());

        public Saved {
            upstreams = List.copyOf(upstreams);
            addresses = List.copyOf(addresses);
        }
    }

    private final Path file;

    public StateFile(Path file) {
        this.file = file;
    }

    public Path path() {
        return file;
    }

    /** The upstream entries of {@link #load()}. */
    public List<Entry> read() throws IOException {
        return load().upstreams();
    }

    /**
     * Reads the file; a missing file is an empty state.
     *
     * @throws IOException naming the file and the problem, if it cannot be read or is not a state file
     */
    public Saved load() throws IOException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return Saved.EMPTY;
        } catch (IOException e) {
            throw new IOException("state file " + file + ": cannot read: " + e.getMessage(), e);
        }
        try {
            return parse(text);
        } catch (IllegalArgumentException e) {
            throw new IOException("state file " + file + ": " + e.getMessage()
                    + " (fix it, or delete it to start with every upstream ready)", e);
        }
    }

    /**
     * Reads a state document (the file's text; also what a shared store holds).
     *
     * @throws IllegalArgumentException saying where and what is wrong
     */
    public static Saved parse(String text) {
        Object root;
        try {
            root = Json.parse(text);
        } catch (Json.ParseException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        if (!(root instanceof Map<?, ?> top) || !(top.get("kodiak-state") instanceof Long v) || v != FORMAT
                || !(top.get("upstreams") instanceof List<?> list)) {
            throw new IllegalArgumentException("not a Kodiak state file (expected {\"kodiak-state\": 1, \"upstreams\": [...]})");
        }
        List<Entry> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            String where = "upstreams[" + i + "]";
            if (!(list.get(i) instanceof Map<?, ?> m) || !(m.get("pool") instanceof String pool)
                    || !(m.get("upstream") instanceof String name) || !(m.get("state") instanceof String state)
                    || !(m.get("configured-weight") instanceof Long cw)) {
                throw new IllegalArgumentException(where + ": expected pool, upstream, state and configured-weight");
            }
            Object w = m.get("weight");
            if (w != null && !(w instanceof Long)) {
                throw new IllegalArgumentException(where + ".weight: expected a number or null");
            }
            int weight = w == null ? -1 : (int) (long) (Long) w;
            if (weight < -1 || weight > 1000) {
                throw new IllegalArgumentException(where + ".weight: " + weight + " is not 0-1000");
            }
            out.add(new Entry(pool, name, AdminState.parse(state), weight, (int) (long) cw, since(m.get("since"), where)));
        }
        List<AddressEntry> addresses = new ArrayList<>();
        Object a = top.get("addresses");
        if (a != null && !(a instanceof List<?>)) {
            throw new IllegalArgumentException("addresses: expected a list");
        }
        List<?> alist = a == null ? List.of() : (List<?>) a;
        for (int i = 0; i < alist.size(); i++) {
            String where = "addresses[" + i + "]";
            if (!(alist.get(i) instanceof Map<?, ?> m) || !(m.get("address") instanceof String address)
                    || !(m.get("state") instanceof String state)) {
                throw new IllegalArgumentException(where + ": expected address, state and since");
            }
            try {
                AddressKey.parse(address);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ".address: " + e.getMessage(), e);
            }
            addresses.add(new AddressEntry(address, AdminState.parse(state), since(m.get("since"), where)));
        }
        return new Saved(out, addresses);
    }

    private static long since(Object v, String where) {
        if (v == null) {
            return 0;
        }
        try {
            return Instant.parse((String) v).toEpochMilli();
        } catch (ClassCastException | DateTimeParseException e) {
            throw new IllegalArgumentException(where + ".since: expected a time such as \"2026-12-05T09:00:00Z\"; got " + Json.write(v), e);
        }
    }

    /**
     * Sets the saved states on {@code pools} before they serve: the admin state always, the weight
     * only if the configured weight is unchanged. Entries of absent discovered upstreams and the
     * drains by address go to {@code presets}, unless older than {@link #PRESET_LIFETIME} at
     * {@code nowMillis}; an upstream without an entry of its own takes its address's preset.
     */
    public static void apply(Saved saved, Map<String, PoolRuntime> pools, AdminPresets presets, long nowMillis) {
        for (AddressEntry a : saved.addresses()) {
            if (expired(a.sinceMillis(), nowMillis)) {
                LOG.info(() -> "state file: the " + a.state().apiName() + " of address " + a.address() + " is older than "
                        + PRESET_LIFETIME.toHours() + " h; dropped");
            } else {
                // As AddressKey keeps it now: a file may hold another spelling ([FD00:0:0:0:0:0:0:5]:8000, App1:8000).
                presets.setAddress(AddressKey.parse(a.address()).text(), new AdminPresets.Preset(a.state(), -1, since(a.sinceMillis(), nowMillis)));
            }
        }
        java.util.Set<Upstream> restored = new java.util.HashSet<>();
        for (Entry e : saved.upstreams()) {
            PoolRuntime p = pools.get(e.pool());
            Upstream u = p == null ? null : p.upstreams().stream().filter(x -> x.name().equals(e.upstream())).findFirst().orElse(null);
            if (u == null) {
                keepOrDrop(e, p != null, presets, nowMillis);
                continue;
            }
            restored.add(u);
            restore(e, u);
            p.rebuild(); // a restored weight changes a hash ring too
        }
        if (presets.addresses().isEmpty()) {
            return;
        }
        for (PoolRuntime p : pools.values()) {
            for (Upstream u : p.upstreams()) {
                if (!restored.contains(u)) {
                    AdminState was = u.adminState();
                    presets.applyTo(u);
                    if (u.adminState() != was) {
                        LOG.info(() -> "state file: " + p.name() + "/" + u.name() + " is " + u.adminState().apiName()
                                + " as its address " + u.addressText() + " is");
                        p.rebuild();
                    }
                }
            }
        }
    }

    /** An entry whose upstream is absent: kept as a preset if a source may still find it, else dropped. */
    private static void keepOrDrop(Entry e, boolean poolExists, AdminPresets presets, long nowMillis) {
        if (!poolExists || !DISCOVERED.matcher(e.upstream()).matches()) {
            LOG.info(() -> "state file: " + e.pool() + "/" + e.upstream() + " is no longer configured; its state is dropped");
        } else if (expired(e.sinceMillis(), nowMillis)) {
            LOG.info(() -> "state file: " + e.pool() + "/" + e.upstream() + " has not been discovered for "
                    + PRESET_LIFETIME.toHours() + " h; its state is dropped");
        } else {
            presets.setUpstream(e.pool(), e.upstream(), new AdminPresets.Preset(e.state(), e.weight(), since(e.sinceMillis(), nowMillis)));
            LOG.info(() -> "state file: " + e.pool() + "/" + e.upstream() + " is not discovered yet; it starts "
                    + e.state().apiName() + " when it is");
        }
    }

    private static void restore(Entry e, Upstream u) {
        u.setAdminState(e.state());
        if (e.weight() >= 0) {
            if (e.configuredWeight() == u.configuredWeight()) {
                u.setRuntimeWeight(e.weight());
            } else {
                LOG.info(() -> "state file: " + e.pool() + "/" + e.upstream() + ": the configured weight changed ("
                        + e.configuredWeight() + " -> " + u.configuredWeight() + "), so the runtime weight "
                        + e.weight() + " is dropped");
            }
        }
        if (e.state() != AdminState.READY || u.weightOverridden()) {
            LOG.info(() -> "state file: " + e.pool() + "/" + e.upstream() + " restored as " + e.state().apiName()
                    + (u.weightOverridden() ? ", weight " + u.weight() : ""));
        }
    }

    /** A preset from a file older than the field: its time is unknown, so it counts from now. */
    private static long since(long sinceMillis, long nowMillis) {
        return sinceMillis == 0 ? nowMillis : sinceMillis;
    }

    private static boolean expired(long sinceMillis, long nowMillis) {
        return sinceMillis != 0 && nowMillis - sinceMillis > PRESET_LIFETIME.toMillis();
    }

    /** What {@code pools} hold now that differs from their configuration. */
    public static List<Entry> capture(Iterable<PoolRuntime> pools) {
        List<Entry> out = new ArrayList<>();
        for (PoolRuntime p : pools) {
            for (Upstream u : p.upstreams()) {
                if (u.adminState() != AdminState.READY || u.weightOverridden()) {
                    out.add(new Entry(p.name(), u.name(), u.adminState(), u.weightOverridden() ? u.weight() : -1,
                            u.configuredWeight()));
                }
            }
        }
        return out;
    }

    /**
     * As {@link #capture(Iterable)}, plus the presets still waiting, and a {@code ready} entry for
     * each upstream the operator set ready although its address is drained (so that the address's
     * preset does not take it at the next start).
     */
    public static Saved capture(Iterable<PoolRuntime> pools, AdminPresets presets) {
        List<Entry> out = new ArrayList<>(capture(pools));
        Map<String, AdminPresets.Preset> byAddress = presets.addresses();
        if (!byAddress.isEmpty()) {
            for (PoolRuntime p : pools) {
                for (Upstream u : p.upstreams()) {
                    if (u.adminState() == AdminState.READY && !u.weightOverridden() && presets.forAddress(u) != null) {
                        out.add(new Entry(p.name(), u.name(), AdminState.READY, -1, u.configuredWeight()));
                    }
                }
            }
        }
        presets.upstreams().forEach((key, pr) -> {
            int slash = key.indexOf('/'); // pool names have no '/' (Values.NAME)
            out.add(new Entry(key.substring(0, slash), key.substring(slash + 1), pr.state(), pr.weight(), -1, pr.sinceMillis()));
        });
        List<AddressEntry> addresses = new ArrayList<>();
        byAddress.forEach((a, pr) -> addresses.add(new AddressEntry(a, pr.state(), pr.sinceMillis())));
        addresses.sort(java.util.Comparator.comparing(AddressEntry::address));
        return new Saved(out, addresses);
    }

    /** Writes {@code entries} atomically, with no address presets. */
    public void write(List<Entry> entries) throws IOException {
        write(new Saved(entries, List.of()));
    }

    /** The document {@link #write(Saved)} writes, as text. */
    public static String json(Saved saved) {
        List<Object> list = new ArrayList<>();
        for (Entry e : saved.upstreams()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("pool", e.pool());
            m.put("upstream", e.upstream());
            m.put("state", e.state().apiName());
            m.put("weight", e.weight() < 0 ? null : e.weight());
            m.put("configured-weight", e.configuredWeight());
            if (e.sinceMillis() != 0) {
                m.put("since", Instant.ofEpochMilli(e.sinceMillis()).toString());
            }
            list.add(m);
        }
        List<Object> addresses = new ArrayList<>();
        for (AddressEntry a : saved.addresses()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("address", a.address());
            m.put("state", a.state().apiName());
            m.put("since", Instant.ofEpochMilli(a.sinceMillis()).toString());
            addresses.add(m);
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("kodiak-state", FORMAT);
        root.put("upstreams", list);
        root.put("addresses", addresses);
        return Json.writePretty(root) + "\n";
    }

    /**
     * Writes what {@code snapshot} takes, taken under the lock the write holds: of two saves racing
     * (admin API workers, the shared state's thread), the one that writes last took its snapshot
     * last, so a change whose save has begun is never overwritten by an older snapshot.
     */
    public synchronized void save(java.util.function.Supplier<Saved> snapshot) throws IOException {
        write(snapshot.get());
    }

    /** Writes {@code saved} atomically (temporary file, fsync, rename). */
    public synchronized void write(Saved saved) throws IOException {
        byte[] bytes = json(saved).getBytes(StandardCharsets.UTF_8);
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = dir.resolve("." + file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(java.nio.ByteBuffer.wrap(bytes));
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    @Override
    public String toString() {
        return "StateFile[" + file + "]";
    }
}
