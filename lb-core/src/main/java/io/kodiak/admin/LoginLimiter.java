package io.kodiak.admin;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Logins to the status page, per client: after {@code maxFailures} attempts without the right token
 * within {@code window} of the first, that client is refused (429 with {@code Retry-After}) until the
 * window ends. The right token clears the client's count.
 *
 * <p><b>One lock for the check and the count.</b> {@link #attempt} refuses a blocked client and
 * counts the attempt in the same critical section, before the token is even compared, and
 * {@link #succeeded} takes the count back. A check and a count in two calls would let every worker
 * thread pass the check at {@code maxFailures - 1} and then all count: with the admin listener's
 * four workers, a few extra guesses in each window.
 *
 * <p><b>Clients.</b> An IPv4 address is one client; an IPv6 client is its /64 ({@link #key}): one
 * host usually gets a whole /64 and can pick any address in it, so per address it would have
 * 2<sup>64</sup> allowances. Each client is limited on its own; there is no global limit, since
 * one attacker could then lock everybody out of the login.
 *
 * <p><b>What it is for.</b> It slows a guesser down; it does not make a weak token strong. The
 * generated token has 128 bits and the configuration refuses one under 16 characters; the bearer
 * token ({@code kodiak ctl}, curl) is not limited at all, because a limit keyed on the client would
 * let any local user lock {@code ctl} out by guessing from 127.0.0.1 ({@code docs/admin-api.md}).
 *
 * <p><b>Bounded.</b> At most {@code maxClients} clients are tracked; past that the one used least
 * recently is forgotten (nginx's {@code limit_req} zones do the same when full). An attacker with
 * more clients than that could make the limiter forget one, but each of them is still limited on
 * its own, and the memory stays fixed.
 *
 * <p>Thread-safe (one lock, a few map operations per call); time from the given {@link InstantSource}.
 */
final class LoginLimiter {
    static final int MAX_FAILURES = 10;
    static final Duration WINDOW = Duration.ofMinutes(1);
    static final int MAX_CLIENTS = 1024;

    private static final class Failures {
        Instant since;
        int count;
    }

    private final InstantSource clock;
    private final int maxFailures;
    private final Duration window;
    private final Map<String, Failures> byClient;

    LoginLimiter(InstantSource clock, int maxFailures, Duration window, int maxClients) {
        this.clock = clock;
        this.maxFailures = maxFailures;
        this.window = window;
        this.byClient = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Failures> eldest) {
                return size() > maxClients;
            }
        };
    }

    /** {@value #MAX_FAILURES} attempts a minute, {@value #MAX_CLIENTS} clients, on the system clock. */
    LoginLimiter() {
        this(InstantSource.system(), MAX_FAILURES, WINDOW, MAX_CLIENTS);
    }

    /**
     * A login attempt from {@code client} (a {@link #key}): {@link Duration#ZERO} if it may go on,
     * and it is then counted as a failure until {@link #succeeded} says otherwise; else how long the
     * client must still wait, and nothing is counted.
     */
    synchronized Duration attempt(String client) {
        Instant now = clock.instant();
        Failures f = current(client, now);
        if (f == null) {
            f = new Failures();
            f.since = now;
            byClient.put(client, f);
        } else if (f.count >= maxFailures) {
            return Duration.between(now, f.since.plus(window));
        }
        f.count++;
        return Duration.ZERO;
    }

    /** The right token from {@code client}: its failures are forgotten, the attempt just counted too. */
    synchronized void succeeded(String client) {
        byClient.remove(client);
    }

    /** How many clients are tracked now (for tests of the bound). */
    synchronized int tracked() {
        return byClient.size();
    }

    /**
     * The client an address belongs to: an IPv4 address itself; for IPv6 its /64, written
     * {@code 2001:db8:0:1::/64} (the part a single host is usually given whole). Java already turns
     * an IPv4-mapped IPv6 address into IPv4.
     */
    static String key(InetAddress address) {
        if (!(address instanceof Inet6Address)) {
            return address.getHostAddress();
        }
        byte[] b = address.getAddress();
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 8; i += 2) {
            s.append(Integer.toHexString(((b[i] & 0xff) << 8) | (b[i + 1] & 0xff))).append(':');
        }
        return s.append(":/64").toString();
    }

    /** The client's failures in the window that is running, or {@code null} (a window that has ended is dropped). */
    private Failures current(String client, Instant now) {
        Failures f = byClient.get(client);
        if (f != null && !now.isBefore(f.since.plus(window))) {
            byClient.remove(client);
            return null;
        }
        return f;
    }

    @Override
    public synchronized String toString() {
        return "LoginLimiter[" + maxFailures + " per " + window + ", " + byClient.size() + " client(s)]";
    }
}
