package io.kodiak.proxy;

import io.kodiak.upstream.Upstream;

import java.util.ArrayDeque;

/**
 * A pool's FIFO of exchanges waiting for an upstream under its {@code max-connections} (HAProxy's
 * backend queue). When a request ends, the slot it frees goes straight to the head of the queue,
 * reserved before anyone else can take it; the waiting exchange then runs on its own client
 * connection's selector thread, so no session lock is ever taken while another is held.
 *
 * <p>Thread-safe: the queue's own lock is held only to move an exchange in or out.
 */
final class WaitQueue {
    private final int maxLength;
    private final ArrayDeque<Exchange> waiting = new ArrayDeque<>();
    /** {@code waiting.size()}, readable without the lock: every request's end looks at it. */
    private volatile int size;

    WaitQueue(int maxLength) {
        this.maxLength = maxLength;
    }

    /** @return false if the queue is full */
    synchronized boolean offer(Exchange e) {
        if (waiting.size() >= maxLength) {
            return false;
        }
        waiting.add(e);
        size = waiting.size();
        return true;
    }

    /** @return whether {@code e} was still waiting (and now is not) */
    synchronized boolean remove(Exchange e) {
        boolean removed = waiting.remove(e);
        size = waiting.size();
        return removed;
    }

    int length() {
        return size;
    }

    /**
     * A slot of {@code freed} may be free: if an exchange waits and the slot can be taken, take it
     * for the head of the queue and hand it over on that exchange's own thread.
     */
    void handOff(Upstream freed) {
        if (size == 0 || !freed.available()) {
            // The common case, without the lock (an exchange joining the queue re-offers free slots
            // itself). An upstream that went down keeps its slots from the queue; when it comes
            // back, the health checker offers them again.
            return;
        }
        Exchange next;
        synchronized (this) {
            if (waiting.isEmpty() || !freed.tryBegin()) {
                return;
            }
            next = waiting.poll();
            size = waiting.size();
        }
        next.grant(freed);
    }

    @Override
    public synchronized String toString() {
        return "WaitQueue[" + waiting.size() + "/" + maxLength + "]";
    }
}
