package io.kodiak.proxy;

import io.kodiak.balancer.Strategy;
import io.kodiak.config.PoolConfig;
import io.kodiak.upstream.PoolRuntime;
import io.kodiak.upstream.Upstream;

import java.util.ArrayList;
import java.util.List;

/**
 * The dispatch phase's decisions for one request: which upstream takes it (from one snapshot of
 * the pool), whether it must wait in the queue, and whether a failed attempt may be retried.
 * Owns the list of upstreams tried and the count of retries; it makes no I/O and calls no one,
 * so its decisions are tested without sockets.
 *
 * <p>Threading: called with the session's lock held, except {@link #triedOn}, which the queue
 * reads while the request waits in it (when the list cannot change).
 */
final class Dispatcher {
    /** What {@link #pick} decided when it found no upstream. */
    enum NoPick { QUEUE, NONE }

    private final PoolRuntime pool;
    private final PoolConfig pc;
    private final List<Upstream> tried = new ArrayList<>(2);
    /** Retries made after a failure the upstream may have processed (not connect failures). */
    private int retries;
    private NoPick noPick;

    Dispatcher(PoolRuntime pool) {
        this.pool = pool;
        this.pc = pool.config();
    }

    /**
     * Picks an upstream not tried yet that has a free slot, and takes the slot (it is counted in
     * flight from here). A pick can race another selector thread for an upstream's last slot;
     * then it picks again, a few times.
     *
     * @param clientIp for a hash key on the client's address
     * @return the upstream whose slot is now held, or null: then {@link #noPick()} says whether
     *         to queue (an untried upstream is only full) or to give up (none is usable)
     */
    Upstream pick(io.kodiak.http.RequestHead req, String clientIp) {
        // One snapshot for the whole decision: the health checker may publish another meanwhile.
        PoolRuntime.Selection selection = pool.selection();
        Strategy<Upstream> strategy = selection.strategy();
        long key = strategy.usesKey() ? HashKeys.of(pc.hash(), req, clientIp) : 0;
        for (int race = 0; race < 4; race++) {
            // adminOut: the operator may have drained an upstream after this selection was built.
            Upstream u = strategy.pick(key, x -> !tried.contains(x) && x.hasCapacity() && !x.adminOut());
            if (u == null) {
                break;
            }
            if (u.tryBegin()) {
                if (selection.panic()) {
                    pool.countPanicRequest();
                }
                return u;
            }
        }
        boolean busy = false;
        for (Upstream x : selection.members()) {
            if (!tried.contains(x) && !x.hasCapacity() && !x.adminOut()) {
                busy = true;
                break;
            }
        }
        noPick = busy ? NoPick.QUEUE : NoPick.NONE;
        return null;
    }

    /** Why the last {@link #pick} returned null. */
    NoPick noPick() {
        return noPick;
    }

    /** An attempt on {@code u} starts: it is never tried again for this request. */
    void attempting(Upstream u) {
        tried.add(u);
    }

    boolean triedOn(Upstream u) {
        return tried.contains(u);
    }

    /** Whether any upstream was tried (a failure after attempts is a 502, before any a 503). */
    boolean triedAny() {
        return !tried.isEmpty();
    }

    int attempts() {
        return tried.size();
    }

    /**
     * Whether this request may be sent again after its upstream may have processed it: nothing of
     * a response reached the client, the method is idempotent, the body can be replayed, attempts
     * are left, and some upstream of the pool has not been tried yet (never the same one twice).
     * The budget is checked last, in {@link #spendRetry}, so it is spent only on retries that happen.
     */
    boolean mayRetry(boolean responseStarted, boolean replayable, String method) {
        if (responseStarted || !replayable || retries >= pc.retries().attempts() || !pc.retries().mayRepeat(method)) {
            return false;
        }
        for (Upstream u : pool.selection().members()) {
            if (!tried.contains(u)) {
                return true;
            }
        }
        return false;
    }

    /** Takes a retry from the pool's budget; false if the budget is spent. */
    boolean spendRetry() {
        if (!pool.retryBudget().tryRetry()) {
            return false;
        }
        retries++;
        pool.retries().increment();
        return true;
    }
}
