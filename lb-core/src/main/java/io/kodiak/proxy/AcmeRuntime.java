package io.kodiak.proxy;

import io.kodiak.acme.AcmeManager;
import io.kodiak.acme.AcmeSettings;
import io.kodiak.acme.Challenges;
import io.kodiak.tls.ManagedKeys;
import io.kodiak.config.KodiakConfig;

import java.time.Clock;
import java.util.List;
import java.util.logging.Logger;

/**
 * The ACME side of a running server: the validations its listeners answer (one registry for the
 * process's life, so the filters bound with a listener keep seeing it) and the manager that orders
 * and renews, made when a configuration first names {@code tls.domains}, and made again when a
 * reload changes the {@code acme} section (another CA is another account and other files).
 *
 * <p>Changed by the server's start and reloads, under the server's lock; read from selector threads.
 */
final class AcmeRuntime implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(AcmeRuntime.class.getName());
    final Challenges challenges = new Challenges();
    private Clock clock;
    /** Tests run the manager's rounds themselves, on their own clock. */
    private boolean manual;
    private AcmeManager manager;

    AcmeRuntime(Clock clock) {
        this.clock = clock;
    }

    /** For tests: no thread; {@link AcmeManager#runDue} runs when the test calls it, on {@code c}. */
    synchronized void manual(Clock c) {
        this.clock = c;
        this.manual = true;
    }

    /** The registry plain listeners answer HTTP-01 from, or {@code null} when {@code config} manages no domain. */
    Challenges challengesFor(KodiakConfig config) {
        return config.managedKeys().isEmpty() ? null : challenges;
    }

    /**
     * Hands the listeners' domains as running now to the manager, starting or replacing it as
     * {@code config} says. {@code managed} are the listeners' holders actually serving (a reload
     * that changed nothing in a listener's TLS keeps its old one).
     */
    synchronized void sync(KodiakConfig config, List<ManagedKeys> managed, boolean plainListener) {
        if (managed.isEmpty()) {
            close();
            return;
        }
        AcmeSettings s = config.acme();
        if (manager != null && !manager.settings().equals(s)) {
            close();
        }
        if (manager == null) {
            manager = new AcmeManager(s, challenges, clock);
            LOG.info(() -> "acme: certificates for " + managed.stream().flatMap(m -> m.domains().stream()).toList() + " from "
                    + s.directory() + ", kept in " + s.storage());
        }
        manager.attach(managed, plainListener);
        if (!manual) {
            manager.start();
        }
    }

    /** Fills {@code next}'s holders with the certificates the manager has (a reload, before it switches). */
    synchronized void prefill(KodiakConfig next) {
        if (manager != null) {
            manager.fill(next.managedKeys());
        }
    }

    /** The manager, or {@code null} (no domains). */
    synchronized AcmeManager manager() {
        return manager;
    }

    @Override
    public synchronized void close() {
        if (manager != null) {
            manager.close();
            manager = null;
        }
    }
}
