package io.kodiak.auth;

import io.kodiak.htpasswd.HtpasswdFile;
import io.kodiak.htpasswd.HtpasswdUsers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The users of one htpasswd file as they are now: those the configuration read, then those of
 * each change on disk that {@link BasicAuthRuntime} polls for (nginx reads the file at every
 * request; Kodiak reads it when its modification time, size or inode change). A file that no
 * longer reads (a syntax error, a half-written edit, deleted) keeps the last good users, with a
 * warning once per change.
 *
 * <p>Threading: {@link #current()} on selector threads (one volatile read); {@link #poll()} on one
 * worker at a time; {@link #offer} when a configuration is applied.
 */
public final class HtpasswdWatch {
    private static final Logger LOG = Logger.getLogger(HtpasswdWatch.class.getName());

    private final Path file;
    private volatile HtpasswdUsers users;
    /** What the file looked like when last read or found broken; null: read it at the next poll. */
    private volatile Stamp seen;

    private record Stamp(long modifiedMillis, long size, Object fileKey) {
    }

    HtpasswdWatch(Path file, HtpasswdUsers users) {
        this.file = file;
        this.users = users;
    }

    public Path file() {
        return file;
    }

    /** The users to check against now. */
    public HtpasswdUsers current() {
        return users;
    }

    /**
     * Takes the users a configuration just read; the next poll reads the file again, in case it
     * changed between that read and now.
     */
    void offer(HtpasswdUsers fromConfig) {
        users = fromConfig;
        seen = null;
    }

    /** Reads the file again if it changed since it was last read. Blocks on the disk: a worker's job. */
    void poll() {
        Stamp now;
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            now = new Stamp(a.lastModifiedTime().toMillis(), a.size(), a.fileKey());
        } catch (IOException e) {
            if (seen == null || seen.size() != -1) {
                LOG.warning(() -> "basic-auth: cannot read " + file + " (" + e + "); keeping its last "
                        + users.size() + " users");
            }
            seen = new Stamp(0, -1, null);
            return;
        }
        if (now.equals(seen)) {
            return;
        }
        seen = now;
        try {
            HtpasswdUsers next = HtpasswdFile.read(file);
            if (!next.equals(users)) {
                users = next;
                LOG.info(() -> "basic-auth: read " + file + " again: " + next.size() + " users");
            }
        } catch (HtpasswdFile.Invalid e) {
            LOG.warning(() -> "basic-auth: " + file + (e.line() > 0 ? ":" + e.line() : "") + ": " + e.getMessage()
                    + "; keeping its last " + users.size() + " users");
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "basic-auth: cannot read " + file + "; keeping its last " + users.size() + " users", e);
        }
    }

    @Override
    public String toString() {
        return "HtpasswdWatch[" + file + ", " + Objects.toString(users) + "]";
    }
}
