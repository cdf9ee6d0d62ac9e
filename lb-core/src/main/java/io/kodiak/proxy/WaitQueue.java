package io.kodiak.proxy;

import io.kodiak.upstream.PoolRuntime;
import io.kodiak.upstream.Upstream;

import java.util.ArrayDeque;

/**
 * A pool's FIFO of exchanges waiting for an upstream under its {@code max-connections} (HAProxy's
 * backend queue). When a request ends, the slot it frees goes straight to the head of the queue
 * (a retry in the queue is passed over for the upstream it already failed on),
 * reserved before anyone else can take it; the waiting exchange then runs on its own client
 * connection's selector thread, so no session lock is ever taken while another is held.
 *
 * <p>Thread-safe: the queue's own lock is held only to move an exchange in or out.
 */
final class WaitQueue {
    /**
     * What waits in the queue: a request that needs a slot. Its methods are called with the
     * queue's lock not held and may run on any thread; each hands the work to the waiter's own
     * selector thread.
     */
    interface Waiter {
        /** Whether this request already failed on {@code u} (read while it waits, when it cannot change). */
        boolean triedOn(Upstream u);

        /** A slot of {@code u} is reserved for this waiter ({@code u.tryBegin()} succeeded for it). */
        void grant(Upstream u);

        /** The queue gave up on this waiter (no upstream is left): it must answer 503. */
        void rejectFromQueue();
    }

    private volatile int maxLength;
    private final PoolRuntime pool;
    private final ArrayDeque<Waiter> waiting = new ArrayDeque<>();
    /** {@code waiting.size()}, readable without the lock: every request's end looks at it. */
    private volatile int size;

    WaitQueue(int maxLength, PoolRuntime pool) {
        this.maxLength = maxLength;
        this.pool = pool;
    }

    /** A reload changed the limit; those already waiting stay. */
    void maxLength(int n) {
        maxLength = n;
    }

    /** @return false if the queue is full */
    synchronized boolean offer(Waiter e) {
        if (waiting.size() >= maxLength) {
            return false;
        }
        waiting.add(e);
        size = waiting.size();
        return true;
    }

    /** @return whether {@code e} was still waiting (and now is not) */
    synchronized boolean remove(Waiter e) {
        boolean removed = waiting.remove(e);
        size = waiting.size();
        return removed;
    }

    /**
     * Empties the queue: every waiting exchange is answered as unavailable, on its own thread.
     *
     * @return how many were waiting
     */
    int rejectAll() {
        java.util.List<Waiter> all;
        synchronized (this) {
            all = new java.util.ArrayList<>(waiting);
            waiting.clear();
            size = 0;
        }
        all.forEach(Waiter::rejectFromQueue);
        return all.size();
    }

    int length() {
        return size;
    }

    /**
     * A slot of {@code freed} may be free: if an exchange waits and the slot can be taken, take it
     * for the head of the queue and hand it over on that exchange's own thread.
     */
    void handOff(Upstream freed) {
        if (size == 0) {
            return; // the common case, without the lock (an exchange joining the queue re-offers free slots itself)
        }
        if (!pool.selection().members().contains(freed)) {
            // Out of the selection (down, ejected, drained): its slots are not for the queue. When
            // it comes back, its slots are offered again. In panic mode every upstream is a member.
            return;
        }
        Waiter next = null;
        synchronized (this) {
            // The first in line that has not failed on this upstream already: a retry waits for
            // another one (never the same upstream twice), and the slot goes to the next in line.
            for (Waiter e : waiting) {
                if (!e.triedOn(freed)) {
                    next = e;
                    break;
                }
            }
            if (next == null || !freed.tryBegin()) {
                return;
            }
            waiting.remove(next);
            size = waiting.size();
        }
        next.grant(freed);
    }

    @Override
    public synchronized String toString() {
        return "WaitQueue[" + waiting.size() + "/" + maxLength + "]";
    }
}
