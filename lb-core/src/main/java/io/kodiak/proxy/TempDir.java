package io.kodiak.proxy;

import io.kodiak.config.TempConfig;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Makes sure the process's temp directory exists before any body spills into it: created
 * owner-only ({@code rwx------}) when missing. The default one lives in the shared system temp
 * directory, where another user could have created it first to watch or tamper with Kodiak's
 * files, so an existing default directory must belong to this user.
 */
final class TempDir {
    private TempDir() {
    }

    /** @return {@code dir}, ready; @throws IOException saying what is wrong with it */
    static Path prepare(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            try {
                Files.createDirectories(dir.getParent());
                if (dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                    Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                } else {
                    Files.createDirectory(dir);
                }
            } catch (FileAlreadyExistsException raced) {
                // Another Kodiak of the same user made it meanwhile: checked below like any existing one.
            }
        }
        if (!Files.isDirectory(dir) || !Files.isWritable(dir)) {
            throw new IOException("temp directory " + dir + " is not a writable directory");
        }
        if (dir.equals(TempConfig.DEFAULTS.dir())) {
            String owner = Files.getOwner(dir).getName();
            if (!owner.equals(System.getProperty("user.name"))) {
                throw new IOException("temp directory " + dir + " belongs to " + owner
                        + ", not to this user; remove it or set temp.dir");
            }
        }
        return dir;
    }
}
