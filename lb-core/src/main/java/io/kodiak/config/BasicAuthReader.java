package io.kodiak.config;

import io.kodiak.htpasswd.HtpasswdFile;
import io.kodiak.htpasswd.HtpasswdUsers;
import io.kodiak.http.FieldEdits;

import java.io.IOException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads a {@code basic-auth} section:
 * <pre>
 * basic-auth:
 *   realm: Admin                     # the challenge's realm (default "Restricted")
 *   users-file: htpasswd             # relative to the configuration's directory
 *   pass-authorization: false        # send the client's Authorization upstream (default false)
 *   user-header: X-Forwarded-User    # the user's name upstream (default none)
 * </pre>
 * or {@code basic-auth: htpasswd} for the file alone. The file is read now: a line that cannot be
 * used fails the start or the reload with its own {@code FILE:LINE}.
 */
final class BasicAuthReader {
    private static final List<String> KEYS = List.of("realm", "users-file", "pass-authorization", "user-header");
    static final String DEFAULT_REALM = "Restricted";

    private BasicAuthReader() {
    }

    static BasicAuthConfig read(ConfigNode node, Path baseDir) throws ConfigException {
        if (node.isScalar()) {
            Path file = file(node, baseDir);
            return new BasicAuthConfig(DEFAULT_REALM, file, users(node, file), false, null);
        }
        ConfigMapping m = node.mapping(KEYS);
        ConfigNode fileNode = m.require("users-file");
        Path file = file(fileNode, baseDir);
        String realm = m.get("realm") == null ? DEFAULT_REALM : realm(m.get("realm"));
        boolean pass = m.get("pass-authorization") != null && m.get("pass-authorization").bool();
        String userHeader = m.get("user-header") == null ? null : userHeader(m.get("user-header"));
        return new BasicAuthConfig(realm, file, users(fileNode, file), pass, userHeader);
    }

    private static Path file(ConfigNode n, Path baseDir) throws ConfigException {
        String text = n.string();
        if (text.isBlank()) {
            throw n.error("must name an htpasswd file");
        }
        try {
            return baseDir.resolve(text).toAbsolutePath().normalize();
        } catch (InvalidPathException e) {
            throw n.error("not a path: " + e.getMessage());
        }
    }

    /** Reads the file; a bad line is reported at its own line of the file, with the key's path. */
    private static HtpasswdUsers users(ConfigNode n, Path file) throws ConfigException {
        try {
            return HtpasswdFile.read(file);
        } catch (IOException e) {
            throw n.error("cannot read " + file + ": " + ConfigLoader.reason(e));
        } catch (HtpasswdFile.Invalid e) {
            if (e.line() == 0) {
                throw n.error(file + " " + e.getMessage());
            }
            throw ConfigNode.error(file.toString(), e.line(), n.path(), e.getMessage());
        }
    }

    /** A realm goes into a quoted-string: printable ASCII without {@code "} or {@code \}. */
    private static String realm(ConfigNode n) throws ConfigException {
        String realm = n.string();
        for (int i = 0; i < realm.length(); i++) {
            char c = realm.charAt(i);
            if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
                throw n.error("a realm is printable ASCII without '\"' or '\\', got " + Values.quote(realm));
            }
        }
        if (realm.isEmpty()) {
            throw n.error("must not be empty");
        }
        return realm;
    }

    private static String userHeader(ConfigNode n) throws ConfigException {
        String name = n.string();
        if (name.equalsIgnoreCase("authorization")) {
            throw n.error("cannot be Authorization (use pass-authorization)");
        }
        try {
            new FieldEdits().set(name, "user");
        } catch (IllegalArgumentException e) {
            throw n.error(e.getMessage());
        }
        return name;
    }
}
