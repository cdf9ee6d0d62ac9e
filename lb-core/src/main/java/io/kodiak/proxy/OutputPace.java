package io.kodiak.proxy;

/**
 * How fast a client takes the output Kodiak has for it, for {@code timeouts.send-min-rate}: the
 * bytes it took over a window of {@code send}, counting only time when output waited for it.
 * {@code send} alone (no progress at all) cannot stop a client that reads a few bytes just inside
 * it (slowhttptest {@code -X}); a minimum over a window can.
 *
 * <p>Windows follow one another (each check that passes starts the next), so bytes taken fast at
 * first earn no credit for a trickle later. Time when no output waits (the client has everything,
 * Kodiak waits for the upstream, keep-alive between requests) is left out of the window rather
 * than starting a new one: the kernel's socket buffer is often larger than what Kodiak queues, so
 * a slow reader empties Kodiak's queue each time the kernel takes a gulp, and a window that began
 * again each time would never end.
 *
 * <p>Plain arithmetic on a caller's clock, no allocation. Not thread-safe: its
 * {@link ClientSession} calls it under its monitor.
 */
final class OutputPace {
    /** The window's start (0: no output has waited yet). */
    private long since;
    /** Bytes the client took in the window. */
    private long bytes;
    /** Since when no output waits (0: output waits), and how long none did before, in this window. */
    private long idleSince;
    private long idleNanos;
    /** Bytes the client took in all. */
    private long total;

    /** Output waits for the client again (none did). */
    void outputWaits(long now) {
        if (since == 0) {
            since = ProxyContext.nonZero(now);
            bytes = 0;
            idleNanos = 0;
        } else if (idleSince != 0) {
            idleNanos += now - idleSince;
        }
        idleSince = 0;
    }

    /** The client has taken everything queued for it: its time stops until output waits again. */
    void allTaken(long now) {
        idleSince = ProxyContext.nonZero(now);
    }

    /** The client took {@code n} more bytes. */
    void took(long n) {
        bytes += n;
        total += n;
    }

    /**
     * Whether the client took less than {@code rate} bytes a second over a whole window of
     * {@code windowNanos} of waiting output; a check that finds it fast enough starts the next window.
     *
     * @param rate bytes per second; 0 never finds it slow
     */
    boolean tooSlow(long now, long rate, long windowNanos) {
        if (rate == 0 || since == 0 || idleSince != 0) {
            return false;
        }
        long elapsed = now - since - idleNanos;
        if (elapsed < windowNanos) {
            return false;
        }
        if (bytes < rate * (elapsed / 1_000_000_000.0)) {
            return true;
        }
        since = ProxyContext.nonZero(now);
        bytes = 0;
        idleNanos = 0;
        return false;
    }

    /** Bytes the client took in all. */
    long total() {
        return total;
    }

    @Override
    public String toString() {
        return "OutputPace[" + bytes + " bytes in the window, " + total + " in all" + (idleSince != 0 ? ", idle" : "") + "]";
    }
}
