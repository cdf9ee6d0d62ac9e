package io.kodiak.auth;

import io.kodiak.testing.Tools;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Makes htpasswd files with Apache's own {@code htpasswd} (Debian apache2-utils), as users do. */
public final class Htpasswd {
    private Htpasswd() {
    }

    /**
     * Adds (or replaces) {@code user} in {@code file}, created if absent.
     *
     * @param format the htpasswd flag: "B" bcrypt, "m" APR1, "s" SHA-1, "d" crypt, "p" plain, "2"/"5" SHA-crypt
     */
    public static void add(Path file, String format, String user, String password) throws IOException, InterruptedException {
        String flags = "-b" + (Files.exists(file) ? "" : "c") + format;
        String path = file.toAbsolutePath().toString();
        Tools.Result r = format.equals("B") // the lowest cost: tests check many passwords
                ? Tools.run(file.toAbsolutePath().getParent(), Map.of(), "htpasswd", flags, "-C", "4", path, user, password)
                : Tools.run(file.toAbsolutePath().getParent(), Map.of(), "htpasswd", flags, path, user, password);
        if (r.exitCode() != 0) {
            throw new IllegalStateException("htpasswd " + flags + " failed: " + r.output());
        }
    }

    /** The line htpasswd prints for {@code user} without writing a file ({@code -nb}). */
    public static String line(String format, String user, String password) throws IOException, InterruptedException {
        Tools.Result r = Tools.run(Path.of("."), Map.of(), "htpasswd", "-nb" + format, user, password);
        if (r.exitCode() != 0) {
            throw new IllegalStateException("htpasswd -nb" + format + " failed: " + r.output());
        }
        return r.output().strip();
    }
}
