package io.kodiak.config;

import io.kodiak.auth.Htpasswd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code basic-auth} sections as read, and every rejection with its exact message: the section's
 * own keys at the configuration's {@code FILE:LINE}, a bad htpasswd line at the htpasswd file's.
 */
class BasicAuthConfigTest {
    @TempDir
    Path dir;

    private static final String POOL = "pools:\n  web: {upstreams: [127.0.0.1:9001]}\n";

    private KodiakConfig parse(String section) throws ConfigException {
        return ConfigLoader.parse("listeners:\n  - name: l\n    address: 127.0.0.1:0\n    routes:\n"
                + "      - pool: web\n        basic-auth: " + section + "\n" + POOL, dir.resolve("kodiak.yaml"));
    }

    private void assertRejected(String section, String expected) {
        ConfigException e = assertThrows(ConfigException.class, () -> parse(section));
        assertEquals(expected, e.getMessage());
    }

    private BasicAuthConfig section(KodiakConfig c) {
        return (BasicAuthConfig) c.listeners().get(0).routes().get(0).features().get(0);
    }

    @Test
    void theShortAndTheLongForm() throws Exception {
        Htpasswd.add(dir.resolve("users"), "B", "demo", "demo");
        BasicAuthConfig s = section(parse("users"));
        assertEquals("Restricted", s.realm());
        assertEquals(dir.resolve("users").toAbsolutePath(), s.usersFile());
        assertEquals(1, s.users().size());
        assertEquals(false, s.passAuthorization());
        assertNull(s.userHeader());
        BasicAuthConfig l = section(parse("{realm: Admin, users-file: users, pass-authorization: true, user-header: X-Forwarded-User}"));
        assertEquals(new BasicAuthConfig("Admin", s.usersFile(), s.users(), true, "X-Forwarded-User"), l);
        KodiakConfig listener = ConfigLoader.parse("listeners:\n  - name: l\n    address: 127.0.0.1:0\n    basic-auth: users\n"
                + "    routes: [{pool: web}]\n" + POOL, dir.resolve("kodiak.yaml"));
        assertEquals(List.of(s), listener.listeners().get(0).features());
    }

    @Test
    void equalWhileTheFileIsTheSame() throws Exception {
        Htpasswd.add(dir.resolve("users"), "s", "demo", "demo");
        BasicAuthConfig a = section(parse("users"));
        assertEquals(a, section(parse("users")));
        Htpasswd.add(dir.resolve("users"), "s", "demo", "changed");
        assertNotEquals(a, section(parse("users")), "a changed password makes a changed route");
    }

    @Test
    void aBadLineIsReportedAtItsOwnFileAndLine() throws Exception {
        Path users = dir.resolve("users");
        Htpasswd.add(users, "B", "ok", "pw");
        Files.writeString(users, Files.readString(users) + "# old users\nold:abJnggxhB/yWI\n");
        assertRejected("users", users.toAbsolutePath() + ":3: listeners[0].routes[0].basic-auth: user \"old\": "
                + "crypt(3) DES hashes are not supported: only 8 characters of a password count "
                + "(create it again with htpasswd -B for bcrypt; -m APR1 and -s SHA-1 are accepted too)");
        Files.writeString(users, "plain:hunter2\n");
        assertRejected("{users-file: users}", users.toAbsolutePath() + ":1: listeners[0].routes[0].basic-auth.users-file: "
                + "user \"plain\": not a bcrypt, APR1 or {SHA} hash (a plain-text password is not accepted) "
                + "(create it again with htpasswd -B for bcrypt; -m APR1 and -s SHA-1 are accepted too)");
    }

    @Test
    void aBcryptCostAboveHtpasswdsMaximumIsRefusedAtItsLine() throws Exception {
        Path users = dir.resolve("users");
        Htpasswd.add(users, "B", "ok", "pw");
        String line = Files.readString(users).strip();
        String hash = line.substring(line.indexOf(':') + 1);
        // The same hash at cost 17 (htpasswd -C's maximum) is read; at 18 and at 25 (minutes a check) it is refused.
        String at17 = hash.substring(0, 4) + "17" + hash.substring(6);
        Files.writeString(users, "ok:" + hash + "\nslow:" + at17 + "\n");
        assertEquals(2, section(parse("users")).users().size());
        for (String cost : new String[]{"18", "25", "31"}) {
            Files.writeString(users, "ok:" + hash + "\n\nslow:" + hash.substring(0, 4) + cost + hash.substring(6) + "\n");
            assertRejected("users", users.toAbsolutePath() + ":3: listeners[0].routes[0].basic-auth: user \"slow\": bcrypt cost "
                    + cost + " is above 17 (htpasswd -C's maximum): each check, and each unknown user's, would take seconds to hours");
        }
    }

    @Test
    void sectionErrorsAreReportedInTheConfiguration() throws Exception {
        Htpasswd.add(dir.resolve("users"), "s", "demo", "demo");
        String at = dir.resolve("kodiak.yaml") + ":6: listeners[0].routes[0].basic-auth";
        assertRejected("missing", at + ": cannot read " + dir.resolve("missing").toAbsolutePath() + ": no such file");
        assertRejected("{realm: x}", at + ".users-file: required key is missing");
        assertRejected("{users-file: users, realms: x}",
                at + ".realms: unknown key; did you mean \"realm\"? (allowed: realm, users-file, pass-authorization, user-header)");
        assertRejected("{users-file: users, realm: 'a\"b'}",
                at + ".realm: a realm is printable ASCII without '\"' or '\\', got \"a\\\"b\"");
        assertRejected("{users-file: users, user-header: Authorization}",
                at + ".user-header: cannot be Authorization (use pass-authorization)");
        assertRejected("{users-file: users, user-header: 'X User'}", at + ".user-header: not a field name: \"X User\"");
        assertRejected("{users-file: users, pass-authorization: maybe}",
                at + ".pass-authorization: expected true or false, got \"maybe\"");
        Files.createDirectory(dir.resolve("adir"));
        assertTrue(assertThrows(ConfigException.class, () -> parse("adir")).getMessage().contains("is a directory"));
    }
}
