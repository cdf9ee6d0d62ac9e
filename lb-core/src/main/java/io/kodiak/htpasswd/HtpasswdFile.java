package io.kodiak.htpasswd;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads an htpasswd file ({@code user:hash} per line, as Apache's {@code htpasswd} writes it;
 * blank lines and lines starting with {@code #} are skipped) into {@link HtpasswdUsers}.
 *
 * <p>Accepted: bcrypt, APR1 and {@code {SHA}} ({@link PasswordHash}). Refused, with the line and
 * the user: crypt(3) DES ({@code htpasswd -d}: only the first 8 characters of a password count),
 * plain text ({@code -p}), the SHA-crypt forms {@code $5$}/{@code $6$} ({@code -2}/{@code -5}),
 * glibc's {@code $1$}, a bcrypt cost above {@value #MAX_BCRYPT_COST}, a user named twice, a line
 * without {@code :}. The whole file is refused
 * rather than a user silently skipped: a user who cannot log in should be found at the reload,
 * not at 3 a.m.
 *
 * <p>Stateless; any thread (it reads the disk: never on a selector thread).
 */
public final class HtpasswdFile {
    /** A file larger than this is refused (about 50 000 bcrypt users). */
    public static final int MAX_BYTES = 4 << 20;
    /**
     * The highest bcrypt cost accepted: {@code htpasswd -C}'s maximum. bcrypt allows up to 31, but
     * each step doubles the work: at 25 one check takes minutes, and since an unknown user is
     * checked against a hash as dear as the file's dearest, one such line would make every wrong
     * user name cost that too.
     */
    public static final int MAX_BCRYPT_COST = 17;

    private HtpasswdFile() {
    }

    /** A problem on one line of the file. */
    public static final class Invalid extends Exception {
        private final int line;

        Invalid(int line, String problem) {
            super(problem);
            this.line = line;
        }

        /** The line (from 1), or 0 for the file as a whole. */
        public int line() {
            return line;
        }
    }

    /** Reads {@code file}. */
    public static HtpasswdUsers read(Path file) throws IOException, Invalid {
        byte[] bytes;
        try {
            // Bounded as it is read: a FIFO, a device or a file growing under the reader fails, never hangs or fills the heap.
            bytes = io.kodiak.io.BoundedFile.readAll(file, MAX_BYTES);
        } catch (io.kodiak.io.BoundedFile.TooLarge e) {
            throw new Invalid(0, "is larger than " + MAX_BYTES + " bytes");
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new Invalid(0, "is not UTF-8 text");
        }
        return parse(text);
    }

    /** Parses the text of a file. */
    public static HtpasswdUsers parse(String text) throws Invalid {
        Map<String, PasswordHash> users = new HashMap<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            int n = i + 1;
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int colon = line.indexOf(':');
            if (colon < 0) {
                throw new Invalid(n, "expected user:hash, found no ':'");
            }
            String user = line.substring(0, colon);
            if (user.isEmpty()) {
                throw new Invalid(n, "a user name is empty");
            }
            for (int c = 0; c < user.length(); c++) {
                if (user.charAt(c) < 0x20 || user.charAt(c) == 0x7f) {
                    throw new Invalid(n, "user \"" + printable(user) + "\": a control character in the name");
                }
            }
            // Apache's files may carry more fields after the hash (user:hash:comment); the hash ends at the next ':'.
            String rest = line.substring(colon + 1);
            int end = rest.indexOf(':');
            String hashText = end < 0 ? rest : rest.substring(0, end);
            PasswordHash hash = hash(n, user, hashText);
            if (users.putIfAbsent(user, hash) != null) {
                throw new Invalid(n, "user \"" + user + "\" is named twice");
            }
        }
        return new HtpasswdUsers(users);
    }

    private static PasswordHash hash(int n, String user, String h) throws Invalid {
        String who = "user \"" + user + "\": ";
        if (h.startsWith("$2y$") || h.startsWith("$2a$") || h.startsWith("$2b$")) {
            PasswordHash.Bcrypt b = PasswordHash.Bcrypt.parse(h);
            if (b == null) {
                throw new Invalid(n, who + "a malformed bcrypt hash");
            }
            if (b.cost() > MAX_BCRYPT_COST) {
                throw new Invalid(n, who + "bcrypt cost " + b.cost() + " is above " + MAX_BCRYPT_COST
                        + " (htpasswd -C's maximum): each check, and each unknown user's, would take seconds to hours");
            }
            return b;
        }
        if (h.startsWith(Apr1.MAGIC)) {
            if (!Apr1.wellFormed(h)) {
                throw new Invalid(n, who + "a malformed APR1 hash (expected $apr1$SALT$22 characters)");
            }
            return new PasswordHash.Apr1Hash(h);
        }
        if (h.startsWith(PasswordHash.Sha1.PREFIX)) {
            PasswordHash.Sha1 s = PasswordHash.Sha1.parse(h);
            if (s == null) {
                throw new Invalid(n, who + "a malformed {SHA} hash (expected the base64 of 20 bytes)");
            }
            return s;
        }
        String use = " (create it again with htpasswd -B for bcrypt; -m APR1 and -s SHA-1 are accepted too)";
        if (h.startsWith("$5$") || h.startsWith("$6$")) {
            throw new Invalid(n, who + "SHA-crypt hashes ($5$, $6$) are not supported" + use);
        }
        if (h.startsWith("$1$")) {
            throw new Invalid(n, who + "MD5-crypt ($1$) hashes are not supported" + use);
        }
        if (h.startsWith("{SSHA}") || h.startsWith("{PLAIN}")) {
            throw new Invalid(n, who + h.substring(0, h.indexOf('}') + 1) + " is not supported" + use);
        }
        if (h.length() == 13 && h.chars().allMatch(c -> Apr1.ITOA64.indexOf(c) >= 0)) {
            throw new Invalid(n, who + "crypt(3) DES hashes are not supported: only 8 characters of a password count" + use);
        }
        throw new Invalid(n, who + "not a bcrypt, APR1 or {SHA} hash (a plain-text password is not accepted)" + use);
    }

    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            b.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", (int) c) : String.valueOf(c));
        }
        return b.toString();
    }
}
