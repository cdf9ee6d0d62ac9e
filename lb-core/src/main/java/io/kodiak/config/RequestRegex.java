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
 * <p>It also backtracks without bound on some expressions ({@code ^/(a+)+$} on {@code /aaaa…a!}
 * takes 2<sup>n</sup> steps): the input is read through a {@link Budget} that counts the
 * characters the engine reads and gives up past {@link #budget} of them, so the cost of matching is
 * bounded whatever the expression and the input (also {@link TooDeep}: 400). Request rules (the
 * small WAF) use RE2/J, which never backtracks; routes and conditions keep Java's syntax (groups
 * by name, as {@code $1}/{@code ${name}} read them), with this bound instead.
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

    /**
     * Most characters the engine may read: at least {@link #MIN_STEPS}, and more for a long input.
     * A linear expression reads each character a few times; {@code find} with a leading
     * {@code .*} ({@code ~.*bot.*}, a common habit) reads about 1.5 n<sup>2</sup>, which the
     * minimum lets through up to some 3.5 KB of value; one that backtracks without bound reaches
     * it in some tens of milliseconds and stops there.
     */
    static final int STEPS_PER_CHAR = 256;
    static final int MIN_STEPS = 20_000_000;

    /**
     * The expression overflowed the stack on this input, or read it more often than the budget
     * allows: answer 400. No stack trace: it is expected.
     */
    public static final class TooDeep extends RuntimeException {
        TooDeep(Pattern p, int inputLength) {
            this("the regular expression " + p + " recursed too deep on " + inputLength + " characters of request data");
        }

        TooDeep(String message) {
            super(message, null, false, false);
        }
    }

    /** Thrown by {@link Budget} when it is spent; turned into {@link TooDeep} by the caller. */
    private static final class Spent extends RuntimeException {
        Spent() {
            super(null, null, false, false);
        }
    }

    /** The input as the engine reads it, counting each character read until the budget is spent. */
    private static final class Budget implements CharSequence {
        private final CharSequence in;
        private long left;

        Budget(CharSequence in) {
            this.in = in;
            this.left = Math.max(MIN_STEPS, (long) STEPS_PER_CHAR * in.length());
        }

        @Override
        public char charAt(int index) {
            if (--left < 0) {
                throw new Spent();
            }
            return in.charAt(index);
        }

        @Override
        public int length() {
            return in.length();
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            return in.subSequence(start, end); // groups, once matched: no longer counted
        }

        @Override
        public String toString() {
            return in.toString();
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
        Matcher m = p.matcher(new Budget(input));
        boolean found;
        try {
            found = m.find();
        } catch (StackOverflowError | Spent e) {
            TooDeep t = e instanceof Spent
                    ? new TooDeep("the regular expression " + p + " backtracked past its budget on " + input.length()
                            + " characters of request data")
                    : new TooDeep(p, input.length());
            long now = System.nanoTime();
            if (now - nextWarning >= 0) {
                nextWarning = now + WARN_EVERY_NANOS;
                LOG.warning(t.getMessage() + "; answered 400 (simplify it: (a|b)* is [ab]*, (a+)+ is a+; next such warning in a minute at the earliest)");
            } else {
                LOG.fine(t::getMessage);
            }
            throw t;
        }
        return found ? m : null;
    }
}
