package io.kodiak.buffer;

import io.kodiak.config.TempConfig;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Makes sure a temp directory is fit to hold request and response bodies before anything spills
 * into it: created owner-only ({@code rwx------}) when missing, never a symbolic link. The default
 * one lives in the shared system temp directory, where another user could create the name first
 * (or again, after a tmp cleaner removed it) to read or swap Kodiak's files, so it must also
 * belong to this user and be closed to everyone else; {@link SpoolIo} checks it again whenever it
 * finds it gone.
 */
public final class TempDir {
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");

    private TempDir() {
    }

    /** @return {@code dir}, ready; @throws IOException saying what is wrong with it */
    public static Path prepare(Path dir) throws IOException {
        boolean posix = dir.getFileSystem().supportedFileAttributeViews().contains("posix");
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            try {
                Files.createDirectories(dir.getParent());
                if (posix) {
                    Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
                } else {
                    Files.createDirectory(dir);
                }
            } catch (FileAlreadyExistsException raced) {
                // Made meanwhile (another Kodiak of this user, or someone else): checked below like any.
            }
        }
        if (Files.isSymbolicLink(dir)) {
            throw new IOException("temp directory " + dir + " is a symbolic link; remove it or set temp.dir");
        }
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS) || !Files.isWritable(dir)) {
            throw new IOException("temp directory " + dir + " is not a writable directory");
        }
        if (dir.equals(TempConfig.DEFAULTS.dir())) {
            String owner = Files.getOwner(dir, LinkOption.NOFOLLOW_LINKS).getName();
            if (!owner.equals(System.getProperty("user.name"))) {
                throw new IOException("temp directory " + dir + " belongs to " + owner
                        + ", not to this user; remove it or set temp.dir");
            }
            if (posix && !OWNER_ONLY.containsAll(Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS))) {
                throw new IOException("temp directory " + dir + " is open to other users; make it rwx------ or remove it");
            }
        }
        return dir;
    }
}
