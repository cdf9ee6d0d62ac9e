package io.kodiak.admin;

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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * The admin states and weights set at runtime, kept in a JSON file so that they survive a restart
 * and a reload (HAProxy loses them unless {@code server-state-file} is set up; here it is the default).
 *
 * <pre>{@code
 * {
 *   "kodiak-state": 1,
 *   "upstreams": [
 *     {"pool": "app", "upstream": "web-2", "state": "drain", "weight": null, "configured-weight": 1}
 *   ]
 * }
 * }</pre>
 * Only upstreams that differ from the configuration are listed. A weight set at runtime is
 * restored only while the configured weight is still the one it was set against (HAProxy's rule
 * too): whoever changed the file meant the new weight. Entries for upstreams no longer in the
 * configuration are dropped with a log line. The file is written to a temporary file in the
 * same directory, flushed to disk and moved over the old one, so a crash leaves the old or the
 * new file, never half of one.
 */
public final class StateFile {
    private static final Logger LOG = Logger.getLogger(StateFile.class.getName());
    static final int FORMAT = 1;

    /** One upstream's saved state; {@code weight} is -1 for the configured one. */
    public record Entry(String pool, String upstream, AdminState state, int weight, int configuredWeight) {
    }

    private final Path file;

    public StateFile(Path file) {
        this.file = file;
    }

    public Path path() {
        return file;
    }

    /**
     * Reads the file; a missing file is an empty state.
     *
     * @throws IOException naming the file and the problem, if it cannot be read or is not a state file
     */
    public List<Entry> read() throws IOException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new IOException("state file " + file + ": cannot read: " + e.getMessage(), e);
        }
        try {
            return entries(Json.parse(text));
        } catch (Json.ParseException | IllegalArgumentException e) {
            throw new IOException("state file " + file + ": " + e.getMessage()
                    + " (fix it, or delete it to start with every upstream ready)", e);
        }
    }

    private static List<Entry> entries(Object root) {
        if (!(root instanceof Map<?, ?> top) || !(top.get("kodiak-state") instanceof Long v) || v != FORMAT
                || !(top.get("upstreams") instanceof List<?> list)) {
            throw new IllegalArgumentException("not a Kodiak state file (expected {\"kodiak-state\": 1, \"upstreams\": [...]})");
        }
        List<Entry> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof Map<?, ?> m) || !(m.get("pool") instanceof String pool)
                    || !(m.get("upstream") instanceof String name) || !(m.get("state") instanceof String state)
                    || !(m.get("configured-weight") instanceof Long cw)) {
                throw new IllegalArgumentException("upstreams[" + i + "]: expected pool, upstream, state and configured-weight");
            }
            Object w = m.get("weight");
            if (w != null && !(w instanceof Long)) {
                throw new IllegalArgumentException("upstreams[" + i + "].weight: expected a number or null");
            }
            int weight = w == null ? -1 : (int) (long) (Long) w;
            if (weight < -1 || weight > 1000) {
                throw new IllegalArgumentException("upstreams[" + i + "].weight: " + weight + " is not 0-1000");
            }
            out.add(new Entry(pool, name, AdminState.parse(state), weight, (int) (long) cw));
        }
        return out;
    }

    /**
     * Sets the saved states on {@code pools} before they serve: the admin state always, the weight
     * only if the configured weight is unchanged.
     */
    public static void apply(List<Entry> entries, Map<String, PoolRuntime> pools) {
        for (Entry e : entries) {
            PoolRuntime p = pools.get(e.pool());
            Upstream u = p == null ? null : p.upstreams().stream().filter(x -> x.name().equals(e.upstream())).findFirst().orElse(null);
            if (u == null) {
                LOG.info(() -> "state file: " + e.pool() + "/" + e.upstream() + " is no longer configured; its state is dropped");
                continue;
            }
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
            p.rebuild(); // a restored weight changes a hash ring too
        }
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

    /** Writes {@code entries} atomically (temporary file, fsync, rename). */
    public synchronized void write(List<Entry> entries) throws IOException {
        List<Object> list = new ArrayList<>();
        for (Entry e : entries) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("pool", e.pool());
            m.put("upstream", e.upstream());
            m.put("state", e.state().apiName());
            m.put("weight", e.weight() < 0 ? null : e.weight());
            m.put("configured-weight", e.configuredWeight());
            list.add(m);
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("kodiak-state", FORMAT);
        root.put("upstreams", list);
        byte[] bytes = (Json.writePretty(root) + "\n").getBytes(StandardCharsets.UTF_8);
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
