package io.kodiak.accesslog;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * Targets that several access logs write to together, by a key that names what they write to
 * ({@code file /var/log/kodiak/access.log}, {@code stdout}): listeners that log to one file share
 * one open file. Two writers each with a file of their own at one path would each buffer up to
 * 64 KiB and write it out whole, cutting each other's lines, and logrotate's reopen would have to
 * reach both.
 *
 * <p>{@link #acquire} hands out a view of the shared target for one writer; closing the view lets
 * go of it, and the last one closes the target. Each writer keeps its own queue, format and
 * counters, so the per-listener metrics stay exact. The views serialize on the shared target:
 * one writer's line or flush never splits another's.
 *
 * <p>Threading: {@link #acquire} from the thread that opens logs (start, reload); the views from
 * their writers' threads. A reopen through any view reopens the one target; with two views it
 * happens twice, which costs nothing: the second flushes and reopens the file the first opened.
 */
public final class SharedTargets {
    /** Opens a target; called under no lock of a view, once per key while anyone holds it. */
    @FunctionalInterface
    public interface Opener {
        AccessLogTarget open() throws IOException;
    }

    private final Map<String, Shared> byKey = new HashMap<>();

    /**
     * A view of the target named {@code key}: the one open now if a log holds it, else a new one
     * from {@code opener}.
     *
     * @throws IOException from the opener; nothing is held then
     */
    public synchronized AccessLogTarget acquire(String key, Opener opener) throws IOException {
        Shared s = byKey.get(key);
        if (s == null) {
            s = new Shared(key, opener.open());
            byKey.put(key, s);
        }
        s.users++;
        return new View(s);
    }

    /** How many distinct targets are open now. */
    public synchronized int size() {
        return byKey.size();
    }

    /** The last user's view closes the target, outside this object's lock (a close may wait on a slow disk). */
    private void release(Shared s) throws IOException {
        boolean last;
        synchronized (this) {
            last = --s.users == 0;
            if (last) {
                byKey.remove(s.key);
            }
        }
        if (last) {
            synchronized (s) {
                s.target.close();
            }
        }
    }

    @Override
    public synchronized String toString() {
        return "SharedTargets" + byKey.keySet();
    }

    /** One open target and how many views hold it; its monitor serializes the writers. */
    private static final class Shared {
        final String key;
        final AccessLogTarget target;
        int users; // guarded by the SharedTargets

        Shared(String key, AccessLogTarget target) {
            this.key = key;
            this.target = target;
        }
    }

    /** One writer's handle on a shared target. */
    private final class View implements AccessLogTarget {
        private final Shared shared;
        private boolean closed; // the writer thread only

        View(Shared shared) {
            this.shared = shared;
        }

        @Override
        public void write(byte[] line, int off, int len) throws IOException {
            synchronized (shared) {
                shared.target.write(line, off, len);
            }
        }

        @Override
        public void flush() throws IOException {
            synchronized (shared) {
                shared.target.flush();
            }
        }

        @Override
        public void reopen() throws IOException {
            synchronized (shared) {
                shared.target.reopen();
            }
        }

        @Override
        public void close() throws IOException {
            if (closed) {
                return;
            }
            closed = true;
            // No flush: the writer flushed after its last batch. Writing here could also meet an
            // interrupt from a close that gave up waiting, which would close the file for every view.
            release(shared);
        }

        @Override
        public String toString() {
            return shared.target.toString();
        }
    }
}
