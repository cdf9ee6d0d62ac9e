package io.kodiak.config;

import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs a configured regular expression ({@code path-regex}, a {@code ~regex} condition) on request
 * data, the one way Kodiak does. {@code java.util.regex} recurses once per repetition of a group
 * ({@code ^/([a-z]|-)*$}), so a long enough path or header value (a few KB) overflows the
 * thread's stack even though the expression does not backtrack. The {@link StackOverflowError}
 * is caught here, where the stack has unwound, and becomes {@link TooDeep}: the request is
 * answered 400 (not "no match", which could let a request slip past a deny route). The operator
 * learns which expression it was from one WARNING line a minute at most (FINE otherwise), so a
 * client sending such requests cannot flood the log.
 *
 * <p>Stateless but for the time of the last warning; called on selector threads, concurrently.
 */
public final class RequestRegex {
    private static final Logger LOG = Logger.getLogger(RequestRegex.class.getName());
    private static final long WARN_EVERY_NANOS = 60_000_000_000L;
    /** When the next WARNING may be logged (System.nanoTime()); racing threads may log twice: harmless. */
    private static volatile long nextWarning = System.nanoTime();

    private RequestRegex() {
    }

    /** The expression overflowed the stack on this input: answer 400. No stack trace: it is expected. */
    public static final class TooDeep extends RuntimeException {
        TooDeep(Pattern p, int inputLength) {
            super("the regular expression " + p + " recursed too deep on " + inputLength + " characters of request data",
                    null, false, false);
        }
    }

    /** @throws TooDeep if the expression overflowed the stack on {@code input} */
    public static boolean find(Pattern p, CharSequence input) {
        return found(p, input) != null;
    }

    /**
     * @return a matcher positioned on the first match of {@code p} in {@code input}, or null
     * @throws TooDeep if the expression overflowed the stack on {@code input}
     */
    public static Matcher found(Pattern p, CharSequence input) {
        Matcher m = p.matcher(input);
        boolean found;
        try {
            found = m.find();
        } catch (StackOverflowError e) {
            TooDeep t = new TooDeep(p, input.length());
            long now = System.nanoTime();
            if (now - nextWarning >= 0) {
                nextWarning = now + WARN_EVERY_NANOS;
                LOG.warning(t.getMessage() + "; answered 400 (simplify it: (a|b)* is [ab]*; next such warning in a minute at the earliest)");
            } else {
                LOG.fine(t::getMessage);
            }
            throw t;
        }
        return found ? m : null;
    }
}
