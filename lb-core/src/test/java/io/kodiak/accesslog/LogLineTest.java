package io.kodiak.accesslog;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The byte line the formats build: numbers, growth past its start, and letting a huge line go. */
class LogLineTest {

    @Test
    void numbersAreDecimalIncludingTheExtremes() {
        LogLine l = new LogLine(4);
        for (long n : new long[] {0, 7, 10, 99, 100, 123456789, -1, -42, Long.MAX_VALUE, Long.MIN_VALUE, 999_999_999_999_999_999L}) {
            l.reset();
            l.number(n);
            assertEquals(Long.toString(n), l.toString());
        }
    }

    @Test
    void growsPastItsStartAndKeepsWhatWasWritten() {
        LogLine l = new LogLine(2);
        l.ascii('a').utf8("é€").number(12345).bytes(new byte[] {'x', 'y'});
        assertEquals("aé€12345xy", l.toString());
        assertEquals(l.toString(), new String(l.array(), 0, l.length(), java.nio.charset.StandardCharsets.UTF_8));
    }

    @Test
    void aHugeLineIsNotKeptForTheNextOne() {
        LogLine l = new LogLine(64);
        l.utf8("u".repeat(LogLine.KEEP_AT_MOST + 1));
        l.reset();
        assertEquals(0, l.length());
        assertTrue(l.array().length <= LogLine.KEEP_AT_MOST, "capacity back to its start: " + l.array().length);
    }
}
