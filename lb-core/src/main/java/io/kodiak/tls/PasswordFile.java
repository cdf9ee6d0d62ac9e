package io.kodiak.tls;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A password kept in a file of its own (readable by Kodiak's user alone), as nginx's
 * {@code ssl_password_file}: never in the configuration, which is often shared. One trailing
 * newline ({@code echo secret > file}) is not part of it.
 */
public final class PasswordFile {
    /** Longer than any password; a bigger file is the wrong one. */
    static final int MAX = 4096;

    private PasswordFile() {
    }

    public static char[] read(Path file) throws IOException {
        byte[] b;
        try (java.io.InputStream in = Files.newInputStream(file)) {
            b = in.readNBytes(MAX + 1);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new PemFiles.FileProblem(file, "no such file", e);
        } catch (java.nio.file.AccessDeniedException e) {
            throw new PemFiles.FileProblem(file, "not readable by this user", e);
        }
        if (b.length > MAX) {
            throw new PemFiles.FileProblem(file, "larger than " + MAX + " bytes; not a password file");
        }
        int n = b.length;
        if (n > 0 && b[n - 1] == '\n') {
            n--;
            if (n > 0 && b[n - 1] == '\r') {
                n--;
            }
        }
        return StandardCharsets.UTF_8.decode(java.nio.ByteBuffer.wrap(b, 0, n)).toString().toCharArray();
    }
}
