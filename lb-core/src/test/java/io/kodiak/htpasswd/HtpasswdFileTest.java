package io.kodiak.htpasswd;

import io.kodiak.auth.Htpasswd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * htpasswd files as Apache's {@code htpasswd} writes them: each accepted form matches its password
 * and no other; the refused forms name their line and user; APR1 is computed as APR computes it.
 */
class HtpasswdFileTest {
    @TempDir
    Path dir;

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void eachAcceptedFormMatchesItsPasswordOnly() throws Exception {
        Path f = dir.resolve("htpasswd");
        Htpasswd.add(f, "B", "bea", "s3cret-b");
        Htpasswd.add(f, "m", "max", "s3cret-m");
        Htpasswd.add(f, "s", "sam", "s3cret-s");
        Htpasswd.add(f, "B", "émile", "pässwörd");
        HtpasswdUsers users = HtpasswdFile.read(f);
        assertEquals(4, users.size());
        assertInstanceOf(PasswordHash.Bcrypt.class, users.get("bea"));
        assertInstanceOf(PasswordHash.Apr1Hash.class, users.get("max"));
        assertInstanceOf(PasswordHash.Sha1.class, users.get("sam"));
        for (String[] u : new String[][]{{"bea", "s3cret-b"}, {"max", "s3cret-m"}, {"sam", "s3cret-s"}, {"émile", "pässwörd"}}) {
            PasswordHash h = users.get(u[0]);
            assertTrue(h.matches(b(u[1])), u[0]);
            assertFalse(h.matches(b(u[1] + "x")), u[0] + " longer");
            assertFalse(h.matches(b(u[1].substring(1))), u[0] + " shorter");
            assertFalse(h.matches(new byte[0]), u[0] + " empty");
        }
        assertTrue(users.get("bea").expensive());
        assertTrue(users.get("max").expensive());
        assertFalse(users.get("sam").expensive());
        assertNull(users.get("nobody"));
    }

    @Test
    void apr1IsTheHashHtpasswdComputes() throws Exception {
        for (String pw : new String[]{"a", "demo", "correct horse battery staple", "x".repeat(40), "ünïcode"}) {
            String text = Htpasswd.line("m", "u", pw).substring(2);
            assertEquals(text, Apr1.hash(b(pw), Apr1.salt(text)), pw);
        }
        // OpenSSL's implementation agrees (openssl passwd -apr1 -salt rasmusle rasmuslerdorf).
        assertEquals("$apr1$rasmusle$pvjk6holV7yO4fbeuHTyn/", Apr1.hash(b("rasmuslerdorf"), "rasmusle"));
        assertEquals("$apr1$rasmusle$pvjk6holV7yO4fbeuHTyn/", Apr1.hash(b("rasmuslerdorf"), "rasmuslerdorf$ignored"),
                "the salt stops at 8 characters");
    }

    @Test
    void bcryptVersionsAndTheLongPasswordRule() throws Exception {
        String y = Htpasswd.line("B", "u", "pw").substring(2);
        assertTrue(y.startsWith("$2y$"));
        for (String prefix : new String[]{"$2a$", "$2b$"}) {
            PasswordHash h = HtpasswdFile.parse("u:" + prefix + y.substring(4)).get("u");
            assertTrue(h.matches(b("pw")), prefix);
        }
        // bcrypt reads 72 bytes; htpasswd cuts there too, so the 73rd byte does not count.
        String long72 = "p".repeat(72);
        PasswordHash h = HtpasswdFile.parse(Htpasswd.line("B", "u", long72 + "A")).get("u");
        assertTrue(h.matches(b(long72 + "B")));
        assertFalse(h.matches(b("p".repeat(71))));
    }

    @Test
    void commentsBlankLinesCrLfAndExtraFieldsAreRead() throws Exception {
        String line = Htpasswd.line("s", "sam", "pw");
        HtpasswdUsers u = HtpasswdFile.parse("# admins\r\n\r\n  \n" + line + ":comment\r\n");
        assertTrue(u.get("sam").matches(b("pw")));
        assertEquals(1, u.size());
        assertEquals(0, HtpasswdFile.parse("").size(), "an empty file: nobody gets in");
    }

    @Test
    void refusedFormsNameTheirLineAndUser() throws Exception {
        Path f = dir.resolve("weak");
        Htpasswd.add(f, "B", "ok", "pw");
        Htpasswd.add(f, "d", "old", "pw");
        HtpasswdFile.Invalid e = assertThrows(HtpasswdFile.Invalid.class, () -> HtpasswdFile.read(f));
        assertEquals(2, e.line());
        assertTrue(e.getMessage().startsWith("user \"old\": crypt(3) DES hashes are not supported"), e.getMessage());
        assertTrue(e.getMessage().contains("htpasswd -B"), e.getMessage());

        Path p = dir.resolve("plain");
        Htpasswd.add(p, "p", "plain", "hunter2");
        e = assertThrows(HtpasswdFile.Invalid.class, () -> HtpasswdFile.read(p));
        assertEquals(1, e.line());
        assertTrue(e.getMessage().startsWith("user \"plain\": not a bcrypt, APR1 or {SHA} hash (a plain-text password is not accepted)"),
                e.getMessage());

        for (String flag : new String[]{"2", "5"}) {
            String line = Htpasswd.line(flag, "sc", "pw");
            e = assertThrows(HtpasswdFile.Invalid.class, () -> HtpasswdFile.parse(line));
            assertTrue(e.getMessage().startsWith("user \"sc\": SHA-crypt hashes ($5$, $6$) are not supported"), e.getMessage());
        }
    }

    @Test
    void malformedLinesAreRefused() {
        assertEquals("expected user:hash, found no ':'", invalid("# c\nnocolon").getMessage());
        assertEquals(2, invalid("# c\nnocolon").line());
        assertEquals("a user name is empty", invalid(":{SHA}x").getMessage());
        String sha = "{SHA}6dcfXufJLW3J6S/9rRe4vUlBj5g=";
        assertEquals("user \"a\" is named twice", invalid("a:" + sha + "\na:" + sha).getMessage());
        assertEquals("user \"a\": a malformed {SHA} hash (expected the base64 of 20 bytes)", invalid("a:{SHA}abc=").getMessage());
        assertEquals("user \"a\": a malformed APR1 hash (expected $apr1$SALT$22 characters)", invalid("a:$apr1$salt$short").getMessage());
        assertEquals("user \"a\": a malformed bcrypt hash", invalid("a:$2y$05$tooshort").getMessage());
        assertEquals("user \"a\\x01b\": a control character in the name", invalid("a\u0001b:" + sha).getMessage());
    }

    @Test
    void theFileAsAWholeIsBounded() throws Exception {
        Path big = dir.resolve("big");
        Files.write(big, new byte[(int) HtpasswdFile.MAX_BYTES + 1]);
        assertEquals(0, assertThrows(HtpasswdFile.Invalid.class, () -> HtpasswdFile.read(big)).line());
        Path latin = dir.resolve("latin1");
        Files.write(latin, new byte[]{'a', (byte) 0xe9, ':', 'x'});
        assertEquals("is not UTF-8 text", assertThrows(HtpasswdFile.Invalid.class, () -> HtpasswdFile.read(latin)).getMessage());
    }

    @Test
    void anUnknownUserIsCheckedAgainstTheDearestHash() throws Exception {
        String cost5 = Htpasswd.line("B", "a", "pw"); // htpasswd's default cost
        String cost6 = cost5.replace("$2y$05$", "$2y$06$"); // a cost-6 shape: only the dummy's cost matters here
        HtpasswdUsers mixed = HtpasswdFile.parse(cost5 + "\n" + Htpasswd.line("s", "s", "pw") + "\nb:" + cost6.substring(2));
        PasswordHash.Bcrypt d = assertInstanceOf(PasswordHash.Bcrypt.class, mixed.dummy());
        assertEquals(6, d.cost());
        assertEquals(d, PasswordHash.Bcrypt.parse(d.text()), "a well-formed bcrypt hash");
        assertTrue(d.text().startsWith("$2y$06$"), d.text());
        assertFalse(d.matches(b("pw")));
        assertInstanceOf(PasswordHash.Apr1Hash.class, HtpasswdFile.parse(Htpasswd.line("m", "m", "pw")).dummy());
        assertInstanceOf(PasswordHash.Sha1.class, HtpasswdFile.parse(Htpasswd.line("s", "s", "pw")).dummy());
    }

    @Test
    void usersCompareByTheirLinesNotTheirDummy() throws Exception {
        String text = Htpasswd.line("B", "a", "pw") + "\n" + Htpasswd.line("m", "b", "pw");
        assertEquals(HtpasswdFile.parse(text), HtpasswdFile.parse(text));
        assertNotEquals(HtpasswdFile.parse(text), HtpasswdFile.parse(text + "\n" + Htpasswd.line("s", "c", "pw")));
    }

    private static HtpasswdFile.Invalid invalid(String text) {
        return assertThrows(HtpasswdFile.Invalid.class, () -> HtpasswdFile.parse(text));
    }
}
