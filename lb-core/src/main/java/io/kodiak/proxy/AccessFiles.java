package io.kodiak.proxy;

import io.kodiak.config.AccessCidrs;
import io.kodiak.config.AccessSourceFile;

import java.io.IOException;
import java.lang.ref.WeakReference;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The access rules' {@code source-file}s, watched while they are in use: every
 * {@link #POLL_SECONDS} seconds each file's modification time, size and identity (a new inode:
 * a list replaced by {@code mv}, as download scripts do) are compared with the last read, and a
 * changed file is read again and its ranges swapped in at once (one volatile write: a request
 * sees the old set or the new one, never a mix). A file that has become unreadable or holds a
 * bad line keeps its last good ranges and logs one WARNING per change, so a half-written
 * download never opens (or closes) the door; the next good version is taken up as usual.
 *
 * <p>The configuration reads the files too (a bad line fails a load or reload): this is only
 * for changes between reloads, as nginx users get with {@code geo} files and a cron'd reload,
 * without the reload.
 *
 * <p>One {@link Watched} per path, shared by every rule and route that names the file and kept
 * across reloads. The registry holds them weakly: once no running configuration names a file,
 * its entry goes and it is no longer polled. The poll runs on a thread of its own, started with
 * the first file (none when no rule has a file), so reading a large list never delays the
 * feature timer that resumes suspended requests.
 *
 * <p>Threading: {@link #watch} from any thread (reloads); {@link Watched#cidrs()} from selector
 * threads, lock-free; {@link Watched#recheck()} from the poll thread (tests call it directly).
 */
public final class AccessFiles implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(AccessFiles.class.getName());
    static final int POLL_SECONDS = 5;

    private final Map<Path, WeakReference<Watched>> watched = new HashMap<>(); // guarded by this
    private ScheduledThreadPoolExecutor poller; // guarded by this; null until the first file
    private boolean closed; // guarded by this

    /**
     * The watched file {@code f.file()}, now holding {@code f.cidrs()}: the configuration has just
     * read it, so its ranges are the freshest. Starts the poll with the first file.
     */
    synchronized Watched watch(AccessSourceFile f) {
        WeakReference<Watched> ref = watched.get(f.file());
        Watched w = ref == null ? null : ref.get();
        if (w == null) {
            w = new Watched(f.file(), f.cidrs());
            watched.put(f.file(), new WeakReference<>(w));
        } else {
            w.offer(f.cidrs());
        }
        if (poller == null && !closed) {
            poller = new ScheduledThreadPoolExecutor(1, r -> {
                Thread t = new Thread(r, "kodiak-access-files");
                t.setDaemon(true);
                return t;
            });
            poller.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
            poller.scheduleWithFixedDelay(this::recheckAll, POLL_SECONDS, POLL_SECONDS, TimeUnit.SECONDS);
        }
        return w;
    }

    /** Rechecks every file still in use; forgets those no configuration names any more. */
    void recheckAll() {
        List<Watched> live = new ArrayList<>();
        synchronized (this) {
            for (Iterator<WeakReference<Watched>> it = watched.values().iterator(); it.hasNext(); ) {
                Watched w = it.next().get();
                if (w == null) {
                    it.remove();
                } else {
                    live.add(w);
                }
            }
        }
        for (Watched w : live) {
            try {
                w.recheck();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "access file " + w.file + ": recheck failed; keeping its last ranges", e);
            }
        }
    }

    /** How many files are watched (tests). */
    synchronized int size() {
        watched.values().removeIf(r -> r.get() == null);
        return watched.size();
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (poller != null) {
            poller.shutdownNow();
        }
    }

    /**
     * One file's current ranges. Its identity is its path; the ranges change when the file does.
     */
    static final class Watched {
        private final Path file;
        private volatile AccessCidrs cidrs;
        /**
         * What the file looked like at the last read (good or bad), or null: read it at the next
         * check. Starts null, since the configuration's read is not stamped: one extra read early
         * on costs less than missing a change made between that read and this watch. Guarded by this.
         */
        private Stamp stamp;

        Watched(Path file, AccessCidrs cidrs) {
            this.file = file;
            this.cidrs = cidrs;
        }

        /** The ranges to look clients up in now. */
        AccessCidrs cidrs() {
            return cidrs;
        }

        Path file() {
            return file;
        }

        /**
         * A reload read the file: take its ranges, and read the file again at the next check. That
         * read may be older than the poll's last one (the file changed between the reload's read
         * and now): without clearing the stamp, the poll would see no change and keep the older
         * ranges for good. Synchronized with {@link #recheck}, so a check in progress cannot
         * overwrite the cleared stamp.
         */
        synchronized void offer(AccessCidrs fresh) {
            cidrs = fresh;
            stamp = null;
        }

        /**
         * Reads the file again if it changed since the last read.
         *
         * @return true if new ranges were swapped in
         */
        synchronized boolean recheck() {
            Stamp now;
            try {
                now = Stamp.of(file);
            } catch (NoSuchFileException e) {
                now = Stamp.MISSING;
            } catch (IOException e) {
                now = new Stamp(-1, -1, e.toString());
            }
            if (now.equals(stamp)) {
                return false;
            }
            stamp = now;
            if (now == Stamp.MISSING) {
                LOG.warning("access file " + file + " is gone; keeping its last " + cidrs.size() + " ranges");
                return false;
            }
            AccessSourceFile read;
            try {
                read = AccessSourceFile.read(file);
            } catch (AccessSourceFile.BadLine e) {
                LOG.warning("access file " + e.getMessage() + "; keeping the last " + cidrs.size() + " ranges");
                return false;
            } catch (IOException e) {
                LOG.warning("access file " + file + " cannot be read (" + e.getMessage() + "); keeping the last "
                        + cidrs.size() + " ranges");
                return false;
            }
            if (read.cidrs().equals(cidrs)) {
                return false;
            }
            cidrs = read.cidrs();
            LOG.info("access file " + file + " changed: " + read.cidrs().size() + " ranges");
            return true;
        }

        @Override
        public String toString() {
            return "AccessFiles.Watched[" + file + ", " + cidrs + "]";
        }
    }

    /** Modification time, size and file identity (inode): what a change of content changes. */
    private record Stamp(long modifiedNanos, long size, Object key) {
        static final Stamp MISSING = new Stamp(-1, -1, "missing");

        static Stamp of(Path file) throws IOException {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return new Stamp(a.lastModifiedTime().to(TimeUnit.NANOSECONDS), a.size(), Objects.requireNonNullElse(a.fileKey(), ""));
        }
    }

    @Override
    public synchronized String toString() {
        return "AccessFiles[" + watched.size() + " files" + (poller == null ? "" : ", polled every " + POLL_SECONDS + " s") + "]";
    }
}
