package io.kodiak.health;

import java.net.ConnectException;
import java.net.SocketException;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * A Unix-domain socket whose listen backlog is full: Linux answers a non-blocking
 * {@code connect(2)} to it with {@code EAGAIN} ("Resource temporarily unavailable") at once, where
 * TCP would leave the SYN waiting ({@code EINPROGRESS}) until the server accepts or the connect
 * times out. The server is busy (every Gunicorn worker occupied, the backlog taken), not down, so
 * Kodiak's data path ({@code Attempt}) and its checks ({@link ConnectProbeLoop}) try the connect
 * again after a short pause, backing off, until their own timeout: the wait TCP's SYN backlog gives
 * for free. nginx answers 502 ("11: Resource temporarily unavailable") and HAProxy fails the connect;
 * neither retries.
 *
 * <p>The JDK throws a plain {@link SocketException} for {@code EAGAIN} and puts only the C library's
 * text of the error in it, so that text is how it is told apart (glibc and musl both write
 * "Resource temporarily unavailable"). Under a C library locale that translates error texts, a full
 * backlog is not recognised and fails the connect as before.
 *
 * <p>Threading: stateless.
 */
public final class UnixBacklog {
    /** The first pause: a Gunicorn worker that finishes a request accepts the next within a few ms. */
    static final long FIRST_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
    /** The longest pause: at most ten connect tries a second per waiting request. */
    static final long MAX_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private UnixBacklog() {
    }

    /** Whether {@code t}, thrown by a non-blocking connect to a Unix socket, means its backlog is full. */
    public static boolean isFull(Throwable t) {
        return t instanceof SocketException && !(t instanceof ConnectException) && t.getMessage() != null
                && t.getMessage().toLowerCase(Locale.ROOT).contains("temporarily unavailable");
    }

    /** The pause before try {@code tries + 1}, after {@code tries} found the backlog full: 5, 10, 20, 40, 80, 100, 100... ms. */
    public static long pauseNanos(int tries) {
        return Math.min(FIRST_PAUSE_NANOS << Math.min(Math.max(tries - 1, 0), 5), MAX_PAUSE_NANOS);
    }
}
