package io.kodiak.admin;

import io.kodiak.config.AdminConfig;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Where a generated admin token is kept: {@code $KODIAK_HOME/admin-HOST-PORT.token} (default
 * {@code ~/.kodiak}), readable by its owner only. When neither the config nor
 * {@code KODIAK_ADMIN_TOKEN} gives a token, Kodiak makes one at start and writes it here, and
 * {@code kodiak ctl} reads it from here: changes on loopback then need what a local user of the
 * same account has, not merely access to the port (every local user can reach loopback). This
 * is how Jupyter and Docker's rootless socket work too.
 */
public final class TokenFile {
    private TokenFile() {
    }

    /** The directory of token files: {@code kodiak.home}, {@code KODIAK_HOME}, else {@code ~/.kodiak}. */
    public static Path home() {
        String p = System.getProperty("kodiak.home");
        if (p == null) {
            p = System.getenv("KODIAK_HOME");
        }
        return p != null ? Path.of(p) : Path.of(System.getProperty("user.home"), ".kodiak");
    }

    /** The token file of the admin API at {@code address}. */
    public static Path of(Path home, InetSocketAddress address) {
        return home.resolve("admin-" + address.getHostString().replace(':', '_') + "-" + address.getPort() + ".token");
    }

    /** A new random token: 128 bits, hex. */
    public static String generate() {
        byte[] b = new byte[16];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /**
     * A warning for a short {@code KODIAK_ADMIN_TOKEN}, or {@code null}. The file's
     * {@code admin.token} of that length is refused when the config is read; the environment's is
     * only warned about, so that a deployment that already uses one keeps starting, but an operator
     * sees that nothing but the token's length stands between the network and the admin API.
     */
    static String weakTokenWarning(AdminConfig config, String envToken) {
        if (config.token() != null || envToken == null || envToken.isEmpty() || envToken.length() >= AdminConfig.MIN_TOKEN_LENGTH) {
            return null;
        }
        return "admin: KODIAK_ADMIN_TOKEN is only " + envToken.length() + " characters: a token is guarded by its length alone "
                + "(bearer calls are not rate-limited), so use at least " + AdminConfig.MIN_TOKEN_LENGTH
                + " random characters, e.g. $(openssl rand -hex 32), as admin.token already must";
    }

    /** Writes {@code token} to {@code file}, owner-only, atomically (a reader never sees half of it). */
    public static void write(Path file, String token) throws IOException {
        Files.createDirectories(file.getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        try {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(tmp);
        }
        Files.writeString(tmp, token + "\n");
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** @return the token in {@code file}, or {@code null} if there is none */
    public static String read(Path file) {
        try {
            String t = Files.readString(file).trim();
            return t.isEmpty() ? null : t;
        } catch (IOException e) {
            return null;
        }
    }
}
