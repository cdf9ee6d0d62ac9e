package io.kodiak.proxy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Notices when the TLS listeners' certificate, key or client-CA files change on disk and has
 * them read again ({@link CertificateReload}), so a renewal needs no {@code kodiak ctl reload}.
 *
 * <p><b>Polling, not a WatchService.</b> A WatchService reports events on a directory's entries
 * by name. It misses a file changed behind a symlink that points into another directory (the
 * event happens there), and a Kubernetes secret volume, which swaps one {@code ..data} symlink so
 * that the configured name never gets an event of its own; certbot re-points the symlinks in
 * {@code live/} one by one. So each {@link #poll} reads every file through its links and compares
 * a SHA-256 of its bytes (a few KiB each, every few seconds): that sees a new target, an in-place
 * rewrite, even one that keeps the size and an mtime within the filesystem's granularity, with
 * one mechanism for all.
 *
 * <p><b>Waiting until the files are still.</b> A change is acted on only when the next poll sees
 * the same bytes again, so a pair is not read while certbot is between the certificate and the
 * key. If it is read mid-way anyway, the listener refuses the mismatched pair and keeps its old
 * certificates (logged as {@code FILE: problem}); the files that follow change the bytes again,
 * and that change is tried in turn. The same refused bytes are not tried again at every poll.
 *
 * <p><b>Threading.</b> {@link #poll} runs on one thread at a time (the server's watch timer, or a
 * test that drives it); the reload it calls takes the server's lock. It blocks on file reads,
 * never on the data path.
 */
final class CertificateWatch {
    private static final Logger LOG = Logger.getLogger(CertificateWatch.class.getName());
    /** How often the files are read: a renewal serves the next handshakes within two of these. */
    static final Duration PERIOD = Duration.ofSeconds(5);
    /** Larger files are not certificates: only their size is compared (the reload then says what is wrong). */
    private static final long MAX_HASHED = 1 << 20;

    private final Supplier<? extends Collection<Path>> files;
    private final Supplier<CertificateReload.Outcome> reload;
    /** The files' bytes as last loaded (at the start, or by a re-read that succeeded). */
    private Map<Path, String> applied; // guarded by this
    /** As the last poll saw them. */
    private Map<Path, String> seen; // guarded by this
    /** As they were when a re-read last refused them, so that the same bytes are not tried again. */
    private Map<Path, String> refused; // guarded by this

    /**
     * @param files  the files to watch, asked at every poll (a reload may change them)
     * @param reload reads the certificates again and says what happened
     */
    CertificateWatch(Supplier<? extends Collection<Path>> files, Supplier<CertificateReload.Outcome> reload) {
        this.files = files;
        this.reload = reload;
        this.applied = signatures(files.get()); // what the start read
        this.seen = applied;
    }

    /** Reads the files; re-reads the certificates when a change has been still for one period. */
    synchronized void poll() {
        Map<Path, String> now = signatures(files.get());
        Map<Path, String> before = seen;
        seen = now;
        if (now.equals(applied) || !now.equals(before) || now.equals(refused)) {
            return; // nothing new, still changing, or refused as it is
        }
        CertificateReload.Outcome o = reload.get();
        for (String c : o.changes()) {
            LOG.info(() -> c + " (the files changed on disk)");
        }
        if (o.problems().isEmpty()) {
            applied = now;
            refused = null;
        } else {
            refused = now;
            for (String p : o.problems()) {
                LOG.warning(() -> "certificate files changed on disk and were refused, the old certificates stay: " + p);
            }
        }
    }

    /** Each file's SHA-256, or what stood in the way of reading it. */
    static Map<Path, String> signatures(Collection<Path> paths) {
        Map<Path, String> out = new LinkedHashMap<>();
        for (Path p : paths) {
            out.put(p, signature(p));
        }
        return out;
    }

    private static String signature(Path p) {
        try {
            long size = Files.size(p);
            if (size > MAX_HASHED) {
                return "size " + size;
            }
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
        } catch (NoSuchFileException e) {
            return "missing";
        } catch (IOException e) {
            return "unreadable: " + e.getMessage();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    @Override
    public synchronized String toString() {
        return "CertificateWatch[" + seen.keySet() + "]";
    }
}
