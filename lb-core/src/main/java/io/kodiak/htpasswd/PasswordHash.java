package io.kodiak.htpasswd;

import at.favre.lib.crypto.bcrypt.BCrypt;
import at.favre.lib.crypto.bcrypt.IllegalBCryptFormatException;
import at.favre.lib.crypto.bcrypt.LongPasswordStrategies;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * One user's password hash from an htpasswd file, in one of the forms Apache's htpasswd writes
 * that are still worth accepting: bcrypt ({@code -B}: {@code $2y$}, and {@code $2a$}/{@code $2b$}
 * from other tools), APR1 ({@code -m}: {@code $apr1$}) and SHA-1 ({@code -s}: {@code {SHA}}).
 * Records compare by their text, so two files with the same lines are equal.
 *
 * <p>Every comparison of a computed hash with the stored one is constant-time
 * ({@link MessageDigest#isEqual}; the bcrypt library's own for bcrypt). {@link #expensive()}
 * says whether checking costs enough (bcrypt: milliseconds; APR1: a thousand MD5 rounds) that it
 * must not run on a selector thread.
 *
 * <p>Immutable; {@link #matches} may run on any thread.
 */
public sealed interface PasswordHash {
    /** Whether {@code password} (the bytes the client sent) is this hash's password. */
    boolean matches(byte[] password);

    /** Whether a check costs enough to be worked out off the selector thread. */
    boolean expensive();

    /** The hash as the file holds it (part of the verification cache's key). */
    String text();

    /** bcrypt, in any of the versions the library knows; passwords beyond 72 bytes are cut, as htpasswd does. */
    record Bcrypt(String text, int cost) implements PasswordHash {
        private static final BCrypt.Verifyer VERIFIER =
                BCrypt.verifyer(BCrypt.Version.VERSION_2A, LongPasswordStrategies.truncate(BCrypt.Version.VERSION_2A));

        @Override
        public boolean matches(byte[] password) {
            try {
                return VERIFIER.verify(password, text.getBytes(StandardCharsets.US_ASCII)).verified;
            } catch (RuntimeException e) { // an empty password, which bcrypt refuses: never a match
                return false;
            }
        }

        @Override
        public boolean expensive() {
            return true;
        }

        /**
         * What an unknown user is checked against: a random salt and a random 23-byte "hash" at
         * {@code cost}. Checking it costs a full bcrypt and never matches (a chance of 2^-184);
         * making it costs nothing, where hashing a password would cost a file of cost 17 seconds
         * at every load.
         */
        static Bcrypt dummy(int cost) {
            SecureRandom random = new SecureRandom();
            byte[] salt = new byte[16];
            byte[] hash = new byte[23];
            random.nextBytes(salt);
            random.nextBytes(hash);
            byte[] text = BCrypt.Version.VERSION_2Y.formatter.createHashMessage(
                    new BCrypt.HashData(cost, BCrypt.Version.VERSION_2Y, salt, hash));
            return new Bcrypt(new String(text, StandardCharsets.US_ASCII), cost);
        }

        /** @return the parsed hash, or null if {@code text} is not a well-formed bcrypt hash */
        static Bcrypt parse(String text) {
            try {
                BCrypt.HashData d = BCrypt.Version.VERSION_2A.parser.parse(text.getBytes(StandardCharsets.US_ASCII));
                return new Bcrypt(text, d.cost);
            } catch (IllegalBCryptFormatException | RuntimeException e) {
                return null;
            }
        }
    }

    /** Apache's MD5-based APR1. */
    record Apr1Hash(String text) implements PasswordHash {
        @Override
        public boolean matches(byte[] password) {
            byte[] computed = Apr1.hash(password, Apr1.salt(text)).getBytes(StandardCharsets.US_ASCII);
            return MessageDigest.isEqual(computed, text.getBytes(StandardCharsets.US_ASCII));
        }

        @Override
        public boolean expensive() {
            return true;
        }

        static Apr1Hash dummy() {
            byte[] pw = new byte[16];
            SecureRandom random = new SecureRandom();
            random.nextBytes(pw);
            StringBuilder salt = new StringBuilder(8);
            for (int i = 0; i < 8; i++) {
                salt.append(Apr1.ITOA64.charAt(random.nextInt(64)));
            }
            return new Apr1Hash(Apr1.hash(pw, salt.toString()));
        }
    }

    /** {@code {SHA}} and the base64 of the password's SHA-1, unsalted: cheap, checked in place. */
    record Sha1(String text) implements PasswordHash {
        static final String PREFIX = "{SHA}";

        @Override
        public boolean matches(byte[] password) {
            byte[] stored = Base64.getDecoder().decode(text.substring(PREFIX.length()));
            return MessageDigest.isEqual(sha1(password), stored);
        }

        @Override
        public boolean expensive() {
            return false;
        }

        /** @return the parsed hash, or null if the base64 is not that of 20 bytes */
        static Sha1 parse(String text) {
            try {
                byte[] d = Base64.getDecoder().decode(text.substring(PREFIX.length()));
                return d.length == 20 ? new Sha1(text) : null;
            } catch (IllegalArgumentException e) {
                return null;
            }
        }

        static Sha1 dummy() {
            byte[] pw = new byte[16];
            new SecureRandom().nextBytes(pw);
            return new Sha1(PREFIX + Base64.getEncoder().encodeToString(sha1(pw)));
        }

        private static byte[] sha1(byte[] password) {
            try {
                return MessageDigest.getInstance("SHA-1").digest(password);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("every JDK has SHA-1", e);
            }
        }
    }
}
