package io.kodiak.proxy;

import io.kodiak.accesslog.Termination;
import io.kodiak.upstream.PoolRuntime;
import io.kodiak.upstream.Upstream;

import java.util.logging.Logger;

/**
 * The queue phase of one exchange: waiting in its pool's {@link WaitQueue} for a slot under an
 * upstream's {@code max-connections} (HAProxy's backend queue), with the queue timeout. A slot
 * or a rejection arrives on the thread that freed it; this hands it to the exchange on the
 * client connection's own selector thread, under its lock, so no session lock is ever taken while
 * another is held.
 *
 * <p>Threading: every method but the {@link WaitQueue.Waiter} ones runs with the session's lock held.
 */
final class QueueWait implements WaitQueue.Waiter {
    private static final Logger LOG = Logger.getLogger(QueueWait.class.getName());

    private final Exchange x;
    private final ProxyContext ctx;
    private final PoolRuntime pool;
    private final WaitQueue queue;
    private final Dispatcher dispatcher;
    private final ExchangeLog log;
    private boolean waiting;
    /** When the wait ends (0: none running). */
    private long deadline;

    QueueWait(Exchange x, ProxyContext ctx, PoolRuntime pool, WaitQueue queue, Dispatcher dispatcher, ExchangeLog log) {
        this.x = x;
        this.ctx = ctx;
        this.pool = pool;
        this.queue = queue;
        this.dispatcher = dispatcher;
        this.log = log;
    }

    /**
     * Joins the queue.
     *
     * @return false if it is full (the caller answers 503)
     */
    boolean join() {
        if (!queue.offer(this)) {
            pool.queueFull().increment();
            LOG.info(() -> pool.name() + ": queue full, 503");
            return false;
        }
        waiting = true;
        long now = ctx.now();
        log.queued(now);
        deadline = ProxyContext.nonZero(now + pool.config().queue().timeout().toNanos());
        // A slot may have freed between the pick that found none and joining the queue, and its
        // end found the queue empty: offer every free slot to the head of the queue now.
        for (Upstream u : pool.selection().members()) {
            queue.handOff(u);
        }
        return true;
    }

    boolean waiting() {
        return waiting;
    }

    @Override
    public boolean triedOn(Upstream u) {
        return dispatcher.triedOn(u);
    }

    /** The queue reserved a slot of {@code u}: the attempt starts on this exchange's own thread. */
    @Override
    public void grant(Upstream u) {
        x.onOwnThread(() -> {
            if (!waiting || x.finished()) {
                u.end(); // gone meanwhile: pass the slot on
                queue.handOff(u);
                return;
            }
            leave();
            x.granted(u);
        });
    }

    /** The queue gave up on this exchange (no upstream is left): 503 on its own thread. */
    @Override
    public void rejectFromQueue() {
        x.onOwnThread(() -> {
            if (waiting && !x.finished()) {
                leave();
                x.queueGaveUp(Termination.NO_UPSTREAM);
            }
        });
    }

    /** The queue timeout, from the sweeper. */
    void checkTimeout(long now) {
        if (!waiting || deadline == 0 || now - deadline < 0) {
            return;
        }
        deadline = 0;
        if (queue.remove(this)) {
            pool.queueTimeouts().increment();
            leave();
            LOG.info(() -> pool.name() + ": waited " + pool.config().queue().timeout().toMillis() + " ms in the queue, 503");
            x.queueGaveUp(Termination.QUEUE_TIMEOUT);
        } // else a granted slot is already on its way to this exchange
    }

    /** The exchange ends while waiting: out of the queue (a grant already on its way passes the slot on). */
    void cancel() {
        if (waiting) {
            queue.remove(this);
            leave();
        }
    }

    private void leave() {
        waiting = false;
        deadline = 0;
        log.dequeued(ctx.now());
    }
}
