package io.kodiak.htpasswd;

import java.util.Map;
import java.util.Objects;

/**
 * The users of one htpasswd file, as {@link HtpasswdFile} read them, and the hash an unknown user
 * is checked against: one as costly as the dearest in the file (the highest bcrypt cost, else
 * APR1, else SHA-1), so that a wrong user name takes as long as a wrong password and answers
 * cannot tell which names exist.
 *
 * <p>Equal by the users and their hashes (not the dummy, which is random), so that a
 * configuration whose file did not change reads as unchanged. Immutable; any thread.
 */
public final class HtpasswdUsers {
    private final Map<String, PasswordHash> users;
    private final PasswordHash dummy;

    HtpasswdUsers(Map<String, PasswordHash> users) {
        this.users = Map.copyOf(users);
        this.dummy = dummyFor(this.users);
    }

    /** The user's hash, or null for a user the file does not name. */
    public PasswordHash get(String user) {
        return users.get(user);
    }

    /** What a user the file does not name is checked against (never matches). */
    public PasswordHash dummy() {
        return dummy;
    }

    public int size() {
        return users.size();
    }

    private static PasswordHash dummyFor(Map<String, PasswordHash> users) {
        int cost = -1;
        boolean apr1 = false;
        for (PasswordHash h : users.values()) {
            if (h instanceof PasswordHash.Bcrypt b) {
                cost = Math.max(cost, b.cost());
            } else if (h instanceof PasswordHash.Apr1Hash) {
                apr1 = true;
            }
        }
        if (cost >= 0) {
            return PasswordHash.Bcrypt.dummy(cost);
        }
        return apr1 ? PasswordHash.Apr1Hash.dummy() : PasswordHash.Sha1.dummy();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HtpasswdUsers u && users.equals(u.users);
    }

    @Override
    public int hashCode() {
        return Objects.hash(users);
    }

    @Override
    public String toString() {
        return "HtpasswdUsers[" + users.size() + " users]";
    }
}
