package io.kodiak.buffer;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The process's budget for temp-file bytes, shared by every spool and body buffer: the bytes
 * their spill files hold (on disk or on the way there). A spool that would spill while the
 * budget is spent does not: it holds the producer back instead (backpressure); a request body
 * that would is answered 503. So many slow clients together can never fill the disk under
 * everyone else (nginx has only a per-request {@code proxy_max_temp_file_size}). Responses may
 * take only half of it: a few slow readers of large downloads would otherwise hold the whole
 * budget for as long as they take, and every upload that needs disk would get 503 meanwhile.
 *
 * <p>Threading: any thread; counts are atomic, the limit is read volatile and may change on reload.
 * A file may overshoot the limit by the one buffer it was given when the budget ran out.
 */
public final class TempSpace {
    private volatile long max;
    private final AtomicLong used = new AtomicLong();

    public TempSpace(long max) {
        this.max = max;
    }

    /** A reload may change the limit; bytes already held stay until their files shrink or close. */
    public void max(long bytes) {
        this.max = bytes;
    }

    public long max() {
        return max;
    }

    /** Bytes held by spill files now. */
    public long used() {
        return used.get();
    }

    /** Whether no spill file may grow now. */
    public boolean exhausted() {
        return used.get() >= max;
    }

    /** Whether a response's spill file may not grow now: responses get half of the budget. */
    public boolean fullForResponses() {
        return used.get() >= max / 2;
    }

    void add(long n) {
        used.addAndGet(n);
    }

    void release(long n) {
        used.addAndGet(-n);
    }

    @Override
    public String toString() {
        return "TempSpace[" + used.get() + " of " + max + " bytes]";
    }
}
