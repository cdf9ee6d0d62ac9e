package io.kodiak.admin;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Failed logins to the status page, per client address: after {@code maxFailures} wrong tokens
 * within {@code window} of the first, that address is refused (429 with {@code Retry-After}) until
 * the window ends, so a configured token that is weaker than the generated 128 bits cannot be
 * guessed through the login at network speed. A right token clears the address's count.
 *
 * <p><b>Bounded.</b> At most {@code maxAddresses} addresses are tracked; past that the one used
 * least recently is forgotten (nginx's {@code limit_req} zones do the same when full). An attacker
 * with more addresses than that could make the limiter forget one, but each of their addresses is
 * still limited on its own, and the memory stays fixed.
 *
 * <p>Thread-safe (one lock, a few map operations per call); time from the given {@link InstantSource}.
 */
final class LoginLimiter {
    static final int MAX_FAILURES = 10;
    static final Duration WINDOW = Duration.ofMinutes(1);
    static final int MAX_ADDRESSES = 1024;

    private static final class Failures {
        Instant since;
        int count;
    }

    private final InstantSource clock;
    private final int maxFailures;
    private final Duration window;
    private final Map<String, Failures> byAddress;

    LoginLimiter(InstantSource clock, int maxFailures, Duration window, int maxAddresses) {
        this.clock = clock;
        this.maxFailures = maxFailures;
        this.window = window;
        this.byAddress = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Failures> eldest) {
                return size() > maxAddresses;
            }
        };
    }

    /** {@value #MAX_FAILURES} failures a minute, {@value #MAX_ADDRESSES} addresses, on the system clock. */
    LoginLimiter() {
        this(InstantSource.system(), MAX_FAILURES, WINDOW, MAX_ADDRESSES);
    }

    /** How long {@code address} must still wait before it may try again: {@link Duration#ZERO} if it may now. */
    synchronized Duration blockedFor(String address) {
        Failures f = current(address);
        if (f == null || f.count < maxFailures) {
            return Duration.ZERO;
        }
        return Duration.between(clock.instant(), f.since.plus(window));
    }

    /** A wrong token from {@code address}. */
    synchronized void failed(String address) {
        Failures f = current(address);
        if (f == null) {
            f = new Failures();
            f.since = clock.instant();
            byAddress.put(address, f);
        }
        f.count++;
    }

    /** The right token from {@code address}: its failures are forgotten. */
    synchronized void succeeded(String address) {
        byAddress.remove(address);
    }

    /** How many addresses are tracked now (for tests of the bound). */
    synchronized int tracked() {
        return byAddress.size();
    }

    /** The address's failures in the window that is running, or {@code null} (a window that has ended is dropped). */
    private Failures current(String address) {
        Failures f = byAddress.get(address);
        if (f != null && !clock.instant().isBefore(f.since.plus(window))) {
            byAddress.remove(address);
            return null;
        }
        return f;
    }

    @Override
    public synchronized String toString() {
        return "LoginLimiter[" + maxFailures + " per " + window + ", " + byAddress.size() + " address(es)]";
    }
}
