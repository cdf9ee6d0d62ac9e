package io.kodiak.acme;

import io.kodiak.tls.CertifiedKey;
import io.kodiak.tls.ManagedKeys;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Keeps the certificates of every listener's {@code tls.domains} obtained and renewed, as Caddy
 * does: at start a stored certificate still valid is served at once; a domain without one, or
 * whose certificate reaches its renewal time, is ordered from the CA; the new certificate replaces
 * the old in the listeners only once it is stored, so the old one serves until then. A failed
 * attempt is retried after a back-off that doubles from {@link #FIRST_BACKOFF} to {@link
 * #MAX_BACKOFF} (Let's Encrypt allows 5 failed validations per name per hour; this makes 4 in the
 * first hour), or after the CA's {@code Retry-After}.
 *
 * <p>All ACME work runs on one daemon thread ({@code kodiak-acme}), never on a selector thread:
 * acme4j blocks. {@link #runDue} is the whole of one round, public so tests drive it with their
 * own clock.
 */
public final class AcmeManager implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(AcmeManager.class.getName());
    static final Duration FIRST_BACKOFF = Duration.ofMinutes(5);
    static final Duration MAX_BACKOFF = Duration.ofHours(24);
    /** How often the thread looks for work; nothing is due most of the time and a look costs nothing. */
    static final Duration TICK = Duration.ofMinutes(1);
    /** How far ahead of our clock a new certificate's start may be and still be taken. */
    static final Duration CLOCK_SKEW = Duration.ofMinutes(10);

    private final AcmeSettings settings;
    private final Challenges challenges;
    private final Clock clock;
    private final AcmeStorage storage;
    private final AcmeIssuer issuer;
    private final Map<String, DomainState> domains = new LinkedHashMap<>();
    private List<ManagedKeys> listeners = List.of();
    private boolean http;
    private ScheduledExecutorService thread;
    /** Set by {@link #close}: a round in progress orders nothing more and changes no listener. */
    private volatile boolean closed;

    /** One domain's certificate and its failures. */
    private static final class DomainState {
        CertifiedKey key;
        int failures;
        Instant nextTry = Instant.MIN;
        String lastError;
        /** After a failure the next attempt prefers the other challenge type (HTTP-01 may not reach port 80). */
        boolean preferTlsAlpn;
    }

    public AcmeManager(AcmeSettings settings, Challenges challenges, Clock clock) {
        this.settings = settings;
        this.challenges = challenges;
        this.clock = clock;
        this.storage = new AcmeStorage(settings.storage(), settings.directory());
        this.issuer = new AcmeIssuer(settings, storage, challenges);
    }

    public AcmeSettings settings() {
        return settings;
    }

    public Challenges challenges() {
        return challenges;
    }

    /**
     * Takes the listeners' domains as configured now (at start and after each reload): their
     * stored certificates, if valid, are served from now on; new domains are due at once.
     *
     * @param http whether a plain listener can answer HTTP-01 validations
     */
    public synchronized void attach(List<ManagedKeys> managed, boolean http) {
        this.listeners = List.copyOf(managed);
        this.http = http;
        Set<String> wanted = new LinkedHashSet<>();
        managed.forEach(m -> wanted.addAll(m.domains()));
        domains.keySet().retainAll(wanted);
        Instant now = clock.instant();
        for (String d : wanted) {
            DomainState s = domains.computeIfAbsent(d, x -> new DomainState());
            if (s.key == null) {
                try {
                    s.key = storage.load(d, now.plus(CLOCK_SKEW)); // as after an order: the CA may be ahead of us
                } catch (IOException e) {
                    LOG.warning(() -> "acme: the stored certificate of " + d + " cannot be used, a new one will be ordered: "
                            + e.getMessage());
                }
            }
            if (s.key != null) {
                for (ManagedKeys m : listeners) {
                    if (m.domains().contains(d)) {
                        m.put(d, s.key);
                    }
                }
            }
        }
    }

    /**
     * Puts the certificates this manager holds into {@code managed} (a reload's new holders,
     * before their listeners serve), so that no handshake meets an empty holder in between.
     */
    public synchronized void fill(List<ManagedKeys> managed) {
        for (ManagedKeys m : managed) {
            for (String d : m.domains()) {
                DomainState s = domains.get(d);
                if (s != null && s.key != null) {
                    m.put(d, s.key);
                }
            }
        }
    }

    /** Starts the thread that orders and renews. */
    public synchronized void start() {
        if (thread != null) {
            return;
        }
        thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "kodiak-acme");
            t.setDaemon(true);
            return t;
        });
        thread.scheduleWithFixedDelay(() -> {
            try {
                runDue();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "acme: round failed", e);
            }
        }, 0, TICK.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Orders every certificate that is missing or due for renewal and not backing off. */
    public void runDue() throws InterruptedException {
        List<String> due = new ArrayList<>();
        boolean canHttp;
        synchronized (this) {
            Instant now = clock.instant();
            domains.forEach((d, s) -> {
                if (!now.isBefore(s.nextTry) && (s.key == null || !now.isBefore(renewAt(s.key)))) {
                    due.add(d);
                }
            });
            canHttp = http;
        }
        for (String d : due) {
            if (closed) {
                return;
            }
            obtain(d, canHttp);
        }
    }

    private void obtain(String domain, boolean canHttp) throws InterruptedException {
        boolean renewal;
        boolean preferTlsAlpn;
        synchronized (this) {
            DomainState s = domains.get(domain);
            if (s == null) {
                return; // a reload dropped it meanwhile
            }
            renewal = s.key != null;
            preferTlsAlpn = s.preferTlsAlpn;
        }
        LOG.info(() -> "acme: " + (renewal ? "renewing" : "obtaining") + " the certificate of " + domain + " from "
                + settings.directory());
        String failure;
        CertifiedKey key = null;
        Instant retryAfter = null;
        try {
            issuer.issue(domain, canHttp, preferTlsAlpn);
            // Read at a moment a little ahead: a CA whose clock runs ahead of ours (Pebble does not
            // backdate as Let's Encrypt does) issues a certificate "not valid before" our now.
            key = storage.load(domain, clock.instant().plus(CLOCK_SKEW));
            failure = key == null ? "the stored certificate disappeared" : null;
        } catch (AcmeIssuer.Failure e) {
            failure = e.getMessage();
            if (e.getCause() instanceof org.shredzone.acme4j.exception.AcmeRateLimitedException r) {
                retryAfter = r.getRetryAfter().orElse(null);
            }
        } catch (IOException e) {
            failure = "the new certificate cannot be read back: " + e.getMessage();
        } catch (RuntimeException e) { // acme4j's lazy getters, an odd reply: a failure like any other, with back-off
            issuer.forget();
            failure = AcmeIssuer.describe(e);
        }
        synchronized (this) {
            DomainState s = domains.get(domain);
            if (s == null || closed) {
                return;
            }
            Instant now = clock.instant();
            if (failure == null) {
                s.key = key;
                s.failures = 0;
                s.nextTry = Instant.MIN;
                s.lastError = null;
                for (ManagedKeys m : listeners) {
                    if (m.domains().contains(domain)) {
                        m.put(domain, key);
                    }
                }
                CertifiedKey k = key;
                LOG.info(() -> "acme: certificate of " + domain + " in place, valid until " + k.leaf().getNotAfter().toInstant());
            } else {
                s.failures++;
                s.preferTlsAlpn = !s.preferTlsAlpn;
                Duration backoff = backoff(s.failures);
                s.nextTry = retryAfter != null && retryAfter.isAfter(now.plus(backoff)) ? retryAfter : now.plus(backoff);
                s.lastError = failure;
                String f = failure;
                Instant next = s.nextTry;
                LOG.warning(() -> "acme: cannot obtain the certificate of " + domain + ": " + f + "; "
                        + (renewal ? "the current one serves until then; " : "") + "next try at " + next);
            }
        }
    }

    /** 5 min, 10, 20, 40 ... up to a day. */
    static Duration backoff(int failures) {
        long minutes = FIRST_BACKOFF.toMinutes() << Math.min(failures - 1, 20);
        return minutes >= MAX_BACKOFF.toMinutes() ? MAX_BACKOFF : Duration.ofMinutes(minutes);
    }

    /**
     * When {@code key} is renewed: {@code renew-before} ahead of its expiry, else with a third of its
     * lifetime left. A {@code renew-before} longer than half the lifetime (a CA of 24-hour
     * certificates) would make every new certificate due at once, and order one a minute: half
     * the lifetime caps it.
     */
    Instant renewAt(CertifiedKey key) {
        Instant notAfter = key.leaf().getNotAfter().toInstant();
        Duration life = Duration.between(key.leaf().getNotBefore().toInstant(), notAfter);
        if (settings.renewBefore() != null) {
            Duration before = settings.renewBefore();
            return notAfter.minus(before.compareTo(life.dividedBy(2)) > 0 ? life.dividedBy(2) : before);
        }
        return notAfter.minus(life.dividedBy(3));
    }

    /** What {@code domain} is at, for the admin API and tests: its certificate and last failure. */
    public synchronized Status status(String domain) {
        DomainState s = domains.get(domain);
        if (s == null) {
            return null;
        }
        return new Status(domain, s.key == null ? null : s.key.leaf().getNotAfter().toInstant(),
                s.key == null ? null : renewAt(s.key), s.failures, s.nextTry.equals(Instant.MIN) ? null : s.nextTry, s.lastError);
    }

    /** A domain's state: expiry and renewal time of its certificate (null: none yet), failures in a row. */
    public record Status(String domain, Instant notAfter, Instant renewAt, int failures, Instant nextTry, String lastError) {
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (thread != null) {
            thread.shutdownNow();
            thread = null;
        }
    }
}
