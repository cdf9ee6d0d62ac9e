package io.kodiak.http;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static io.kodiak.http.Wire.str;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

/** The Date line: IMF-fixdate, formatted once per second of a fake wall clock. */
class HttpDateTest {
    @Test
    void formatsAnImfFixdate() {
        // RFC 9110 §5.6.7's example; the day of the month is always two digits.
        assertEquals("Sun, 06 Nov 1994 08:49:37 GMT", HttpDate.format(784111777L));
        assertEquals("Thu, 01 Jan 1970 00:00:00 GMT", HttpDate.format(0));
    }

    @Test
    void formatsOncePerSecond() {
        AtomicLong millis = new AtomicLong(784111777_000L);
        HttpDate date = new HttpDate(millis::get);
        byte[] first = date.fieldLine();
        assertEquals("Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n", str(first));
        millis.set(784111777_999L);
        assertSame(first, date.fieldLine(), "the same second reuses the line");
        millis.set(784111778_000L);
        byte[] next = date.fieldLine();
        assertNotSame(first, next);
        assertEquals("Date: Sun, 06 Nov 1994 08:49:38 GMT\r\n", str(next));
        millis.set(784111777_500L); // the wall clock stepped back: the line follows it
        assertEquals("Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n", str(date.fieldLine()));
    }
}
