package io.kodiak.config;

import org.junit.jupiter.api.Test;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The stack overflow of a recursive expression on a long value, and the unbounded backtracking of
 * a catastrophic one, become {@link RequestRegex.TooDeep} (400), whatever the request sends.
 */
class RequestRegexTest {
    private static final Pattern DEEP = Pattern.compile("^/([a-z]|-)*$");

    @Test
    void findsAndMissesLikeMatcherFind() {
        assertTrue(RequestRegex.find(DEEP, "/a-b"));
        assertFalse(RequestRegex.find(DEEP, "/A"));
        Matcher m = RequestRegex.found(Pattern.compile("/(\\w+)\\.css"), "/x/site.css");
        assertEquals("site", m.group(1));
        assertNull(RequestRegex.found(DEEP, "nope"));
    }

    @Test
    void aStackOverflowBecomesTooDeepAndTheThreadGoesOn() {
        // 1 MB of input overflows any thread stack java.util.regex runs on here.
        String huge = "/" + "a".repeat(1 << 20);
        RequestRegex.TooDeep e = assertThrows(RequestRegex.TooDeep.class, () -> RequestRegex.find(DEEP, huge));
        assertTrue(e.getMessage().contains(DEEP.pattern()), e.getMessage());
        assertEquals(0, e.getStackTrace().length, "no stack trace: it is expected, and logged as one line");
        assertThrows(RequestRegex.TooDeep.class, () -> FieldCondition.parse("~^([a-z]|-)*$").matchesValue(huge.substring(1)));
        assertTrue(RequestRegex.find(DEEP, "/still-works"));
    }

    @Test
    void catastrophicBacktrackingStopsAtTheBudgetInsteadOfRunningForEver() {
        // java.util.regex memoizes (a+)+ and friends, but not this: about 40 s on 60 characters
        // here, and each character more multiplies it; with the budget, milliseconds.
        Pattern evil = Pattern.compile("^/(.*a){8}$");
        String input = "/" + "a".repeat(60) + "b";
        RequestRegex.TooDeep e = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(30),
                () -> assertThrows(RequestRegex.TooDeep.class, () -> RequestRegex.find(evil, input)));
        assertTrue(e.getMessage().contains("backtracked past its budget"), e.getMessage());
        assertThrows(RequestRegex.TooDeep.class, () -> FieldCondition.parse("~^(.*a){8}$").matchesValue("a".repeat(80) + "b"));
        // The same expressions on what they were written for, and a linear one on a long value, still match.
        assertTrue(RequestRegex.find(evil, "/aaaaaaaa"));
        String longPath = "/" + "ab/".repeat(2000) + "end";
        assertTrue(RequestRegex.find(Pattern.compile("^/[a-z/]*end$"), longPath), "a linear expression reads a long value within its budget");
        String userAgent = "Mozilla/5.0 ".repeat(250); // 3 KB: find with a leading .* reads it quadratically
        assertFalse(FieldCondition.parse("~(?i).*bot.*").matchesValue(userAgent), "a common habit still answers");
        assertTrue(FieldCondition.parse("~(?i).*bot.*").matchesValue(userAgent + "Googlebot"));
        Matcher m = RequestRegex.found(Pattern.compile("^/(?<first>[a-z]+)/"), longPath);
        assertEquals("ab", m.group("first"), "groups read after the match");
    }
}
