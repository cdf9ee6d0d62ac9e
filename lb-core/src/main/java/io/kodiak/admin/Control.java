package io.kodiak.admin;

import io.kodiak.config.ConfigException;
import io.kodiak.config.KodiakConfig;
import io.kodiak.config.UpstreamConfig;
import io.kodiak.upstream.AdminState;
import io.kodiak.upstream.PoolRuntime;
import io.kodiak.upstream.Upstream;

import java.io.IOException;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * What the admin API reads and changes of a running Kodiak, and nothing more. {@code io.kodiak.Kodiak}
 * implements it and starts the {@link AdminServer} with itself, so the admin package depends on
 * this interface, not on the class that starts it (the two used to import each other).
 *
 * <p>Changes return once they are in force; each method may be called from any admin worker thread.
 */
public interface Control {
    /** The configuration in force. */
    KodiakConfig config();

    /** When this Kodiak started. */
    Instant startedAt();

    /** What obtains and renews the certificates of {@code tls.domains}, or {@code null} when no listener has any. */
    default io.kodiak.acme.AcmeManager acme() {
        return null;
    }

    /**
     * Reads the configuration file again and applies it; nothing changes if it fails.
     *
     * @throws ConfigException if the file does not validate
     * @throws IOException     if the new configuration cannot be applied (a listener cannot bind)
     */
    Reloaded reload() throws ConfigException, IOException;

    /**
     * A pool by name.
     *
     * @throws IllegalArgumentException if there is no such pool
     */
    PoolRuntime pool(String name);

    /** Every pool, in configuration order. */
    Collection<PoolRuntime> pools();

    /**
     * An upstream of {@code pool} by its name or its {@code host:port}.
     *
     * @throws IllegalArgumentException naming what is missing
     */
    Upstream upstream(String pool, String nameOrAddress);

    /**
     * A pool's DNS and Kubernetes sources as of now, by source id ({@code dns app:8000}), in
     * configuration order; empty for a pool without any.
     */
    default java.util.Map<String, io.kodiak.discovery.SourceStatus> sources(String pool) {
        return java.util.Map.of();
    }

    /**
     * Every upstream, in any pool, at {@code address} (resolved or as configured), in pool order.
     */
    default List<Upstream> upstreamsAt(AddressKey address) {
        throw new UnsupportedOperationException("drain by address");
    }

    /**
     * Drain by address: sets {@code state} on every upstream at {@code address} in every pool, and
     * keeps it as the address's preset, so that upstreams made there later (a DNS or Kubernetes
     * source finds the address again, a reload adds it) start in it; {@code READY} clears the
     * preset. In force (and saved, if there is a state file) when this returns.
     *
     * @return the upstreams it was set on; empty if none is there now (then only the preset holds)
     * @throws IllegalStateException if too many addresses are drained already (the presets are bounded)
     */
    default List<Upstream> setAdminStateAt(AddressKey address, AdminState state) {
        throw new UnsupportedOperationException("drain by address");
    }

    /** The admin state preset for {@code address}, or {@code null} if none is. */
    default AdminState addressPreset(AddressKey address) {
        return null;
    }

    /** How many requests wait in a pool's queue. */
    int queued(String pool);

    /** How many idle keep-alive connections to {@code u} wait for reuse. */
    int idleConnections(Upstream u);

    /** Sets {@code u}'s admin state; in force (and saved, if there is a state file) when this returns. */
    void setAdminState(Upstream u, AdminState state);

    /** Sets {@code u}'s weight ({@code -1}: the configured one); in force when this returns. */
    void setWeight(Upstream u, int weight);

    /**
     * As {@link #setAdminState}, then written to the admin state the instances share
     * ({@code admin.shared-state}), if they do.
     *
     * @return {@code null} if they do not, {@code "ok"} once written, else {@code "failed: why"}
     *         (the change is in force here all the same)
     */
    default String setAdminStateShared(Upstream u, AdminState state) {
        setAdminState(u, state);
        return null;
    }

    /** As {@link #setWeight}, then shared as {@link #setAdminStateShared} says. */
    default String setWeightShared(Upstream u, int weight) {
        setWeight(u, weight);
        return null;
    }

    /**
     * Adds an upstream to {@code pool} at runtime.
     *
     * @throws IllegalArgumentException naming the problem (unknown pool, name or address taken)
     */
    Upstream addUpstream(String pool, UpstreamConfig upstream);

    /** Removes {@code u} from its pool; the future completes when its requests in flight have finished. */
    CompletableFuture<Void> removeUpstream(Upstream u);

    /**
     * Reopens every access log (logrotate renamed the files: the lines from now on go to new ones
     * at the same paths) and returns once each has, or a bound has passed.
     *
     * @return one per listener with an access log, in listener order; empty if none has one
     */
    List<Reopened> reopenLogs();

    /**
     * One listener's access log after a reopen.
     *
     * @param listener the listener's name
     * @param target   where its lines go, e.g. {@code file /var/log/kodiak/access.log}
     * @param error    why the reopen failed or did not finish, or {@code null} if it was done
     */
    record Reopened(String listener, String target, String error) {
    }

    /** Kodiak's version ({@code kodiak --version}), or {@code null} when the embedder does not say. */
    default String version() {
        return null;
    }

    /** Whether requests are timed and counted by cause ({@code metrics: off} says no): latencies and errors by cause need it. */
    default boolean metricsEnabled() {
        return false;
    }

    /** Every data listener as it runs now, in configuration order; empty if the embedder does not say. */
    default List<ListenerStatus> listeners() {
        return List.of();
    }

    /** The last reload's outcome (the admin API's, {@code kodiak ctl reload}'s or SIGHUP's), or {@code null} before the first. */
    default LastReload lastReload() {
        return null;
    }

    /**
     * One data listener's counters since it was bound (a reload that moves it to another address
     * starts them again).
     *
     * @param name        the listener's name
     * @param address     where it is bound, {@code 127.0.0.1:8080} (the real port when the config said 0)
     * @param tls         whether it terminates TLS
     * @param connections client connections open now
     * @param accepted    connections accepted
     * @param requests    requests read
     * @param refused     connections refused: over {@code max-connections}, over
     *                    {@code max-connections-per-address}, and while stopping
     * @param rejected    requests rejected as malformed or too large
     * @param identity    the bound listener itself, compared by identity: what its counters belong
     *                    to (a reload may rename a listener it keeps, or bind one of the same name anew)
     */
    record ListenerStatus(String name, String address, boolean tls, int connections, long accepted, long requests,
                          long refused, long rejected, Object identity) {
    }

    /**
     * A reload's outcome.
     *
     * @param at            when it finished
     * @param ok            whether it was applied
     * @param configVersion the version in force after it: the new one, or the one still running after a failure
     * @param error         why it failed, one line; {@code null} if it was applied
     * @param note          for an applied reload, what went wrong besides (the state file could not
     *                      be written), one line; {@code null} if nothing did
     */
    record LastReload(Instant at, boolean ok, String configVersion, String error, String note) {
    }

    /** What a reload did: the version now in force, one line per change, and what it did not apply. */
    interface Reloaded {
        String version();

        List<String> changes();

        List<String> notes();
    }
}
