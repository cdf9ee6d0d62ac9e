package io.kodiak.proxy;

import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.concurrent.atomic.LongAdder;

/**
 * The bound on TLS handshakes in progress on one listener ({@code tls.max-handshakes}). A
 * connection over the bound is not refused: it waits, unread, for a slot, first come first
 * served. actix and ntex (Rust) bound handshakes in progress the same way, 256 by default, by
 * leaving new connections in the accept backlog; HAProxy's {@code maxsslconn} stops accepting
 * too, though it counts every TLS connection, not only those in their handshake. Closing
 * it at once would turn a burst of honest clients (a restart of everything behind a NAT, a load
 * test opening 1,000 connections) into errors, while a connection that waits unread costs only
 * its socket: Grizzly makes the TLS engine on the first read. The wait is bounded by
 * {@code tls.handshake-timeout} and by {@code max-connections}, which the waiting count toward.
 *
 * <p><b>Threading.</b> Sessions call in under their own monitor; this object's lock is taken
 * inside it, never the other way round: {@link #leave} hands the slot to the next session after
 * letting go of this lock. A session that holds a slot only ever hands it to one that waits, and
 * a waiting session never waits for another session's monitor, so no cycle can form.
 */
final class HandshakeSlots {
    private final LinkedHashSet<ClientSession> waiting = new LinkedHashSet<>(); // guarded by this
    private int running; // guarded by this
    // For the metrics: handshakes finished, failed (a bad or foreign ClientHello, no shared
    // protocol or suite, a client certificate refused), timed out (waiting included), and
    // connections that had to wait for a slot.
    final LongAdder completed = new LongAdder();
    final LongAdder failed = new LongAdder();
    final LongAdder timeouts = new LongAdder();
    final LongAdder deferred = new LongAdder();

    /**
     * Takes a slot for {@code s} if one of {@code max} is free.
     *
     * @return true if {@code s} may handshake now; false if it waits, its reads off, until
     *         {@link ClientSession#handshakeAdmitted} is called
     */
    synchronized boolean enter(ClientSession s, int max) {
        if (running < max) {
            running++;
            return true;
        }
        waiting.add(s);
        deferred.increment();
        return false;
    }

    /**
     * A session that held a slot is done with it: the longest waiting one gets it, unless a
     * reload lowered {@code max} below the slots taken.
     */
    void leave(int max) {
        ClientSession next = null;
        synchronized (this) {
            Iterator<ClientSession> it = waiting.iterator();
            if (running <= max && it.hasNext()) {
                next = it.next();
                it.remove();
            } else {
                running--;
            }
        }
        if (next != null) {
            next.handshakeAdmitted(); // holds the slot now; outside this lock (see the class comment)
        }
    }

    /** A waiting session gave up (closed, or timed out): it leaves the line. */
    synchronized void withdraw(ClientSession s) {
        waiting.remove(s);
    }

    /** Handshakes in progress now. */
    synchronized int running() {
        return running;
    }

    /** Connections waiting for a slot now. */
    synchronized int waiting() {
        return waiting.size();
    }

    @Override
    public synchronized String toString() {
        return "HandshakeSlots[" + running + " running, " + waiting.size() + " waiting]";
    }
}
