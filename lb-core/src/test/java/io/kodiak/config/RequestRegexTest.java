package io.kodiak.config;

import org.junit.jupiter.api.Test;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The stack overflow of a recursive expression on a long value becomes {@link RequestRegex.TooDeep}. */
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
}
