package io.kodiak.tls;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * The keys that encrypt a listener's TLS session tickets (stateless resumption): a new key every
 * {@code rotation}, the newest encrypting, and the previous ones kept to decrypt the tickets they
 * made until those would have expired anyway ({@code lifetime}); then they are forgotten, so that
 * a key stolen from memory opens no older session. nginx leaves this to the operator
 * ({@code ssl_session_ticket_key} files and a cron job); the JDK rotates its own hourly.
 *
 * <p>Each key is 48 random bytes: a 16-byte name (which key a ticket was made with), a 16-byte
 * HMAC key and a 16-byte AES key, as OpenSSL's ticket callback wants them.
 *
 * <p>Rotation is checked when a connection arrives ({@link #current}), not by a timer: a ticket is
 * only made or opened by a handshake, and every handshake's engine is made after that check.
 * Thread-safe; the check is one volatile read when no rotation is due.
 */
public final class TicketKeys {
    /** One key: name, HMAC key, AES key. */
    public record Key(byte[] name, byte[] hmacKey, byte[] aesKey, Instant made) {
    }

    /** The keys in force, newest (the encrypting one) first, and a number that changes with them. */
    public record Ring(long generation, List<Key> keys) {
    }

    private final Clock clock;
    private final SecureRandom random;
    private final Duration rotation;
    private final Duration lifetime;
    private final Deque<Key> keys = new ArrayDeque<>();
    private volatile Ring ring;
    private volatile Instant nextRotation;

    /**
     * @param rotation how long one key encrypts new tickets
     * @param lifetime how long a ticket may be used (the session timeout): how long its key is kept
     */
    public TicketKeys(Clock clock, SecureRandom random, Duration rotation, Duration lifetime) {
        if (rotation.isNegative() || rotation.isZero() || lifetime.compareTo(rotation) < 0) {
            throw new IllegalArgumentException("rotation must be positive and no longer than the lifetime");
        }
        this.clock = clock;
        this.random = random;
        this.rotation = rotation;
        this.lifetime = lifetime;
        rotate(clock.instant(), 0);
    }

    /** The keys to use now, rotated first if the newest is older than the rotation period. */
    public Ring current() {
        Instant now = clock.instant();
        if (now.isBefore(nextRotation)) {
            return ring;
        }
        synchronized (this) {
            if (!now.isBefore(nextRotation)) {
                rotate(now, ring.generation() + 1);
            }
            return ring;
        }
    }

    /** At most lifetime / rotation + 1 keys: the bound on what is kept. */
    public int maxKeys() {
        return (int) (lifetime.toMillis() / rotation.toMillis()) + 1;
    }

    private void rotate(Instant now, long generation) {
        keys.addFirst(new Key(bytes(16), bytes(16), bytes(16), now));
        // A key made before now - lifetime - rotation stopped encrypting at least a lifetime ago:
        // every ticket it made has expired.
        while (keys.size() > 1 && keys.peekLast().made().plus(rotation).plus(lifetime).isBefore(now)) {
            keys.removeLast();
        }
        while (keys.size() > maxKeys()) {
            keys.removeLast();
        }
        ring = new Ring(generation, List.copyOf(new ArrayList<>(keys)));
        nextRotation = now.plus(rotation);
    }

    private byte[] bytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    @Override
    public String toString() {
        Ring r = ring;
        return "TicketKeys{generation=" + r.generation() + ", keys=" + r.keys().size() + ", rotation=" + rotation + "}";
    }
}
