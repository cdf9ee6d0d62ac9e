package io.kodiak.proxy;

import io.kodiak.config.ExpiresConfig;
import io.kodiak.filter.ResponseFilter;
import io.kodiak.http.FieldEdits;
import io.kodiak.http.HeadParser;
import io.kodiak.http.HttpException;
import io.kodiak.http.RequestHead;
import io.kodiak.http.ResponseHead;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** {@code expires} with a fixed clock: the exact fields, per status. */
class ExpiresFilterTest {
    /** Sun, 06 Nov 1994 08:49:37 GMT, RFC 9110's example date, plus 250 ms. */
    private static final long NOW_MILLIS = 784_111_777_250L;

    private static String edits(ExpiresConfig c, int status) throws HttpException {
        RequestHead req = HeadParser.parseRequest("GET / HTTP/1.1\r\nHost: a\r\n\r\n".getBytes(StandardCharsets.US_ASCII), 100);
        ResponseHead head = HeadParser.parseResponse(("HTTP/1.1 " + status + " X\r\nContent-Length: 0\r\n"
                + "Cache-Control: private\r\n\r\n").getBytes(StandardCharsets.US_ASCII), false);
        FieldEdits e = ResponsePhase.run(new ResponseFilter[] {new ExpiresFilter(c, () -> NOW_MILLIS)}, req, head).edits();
        return e == null ? null : e.addedLines();
    }

    @Test
    void aDurationSetsExpiresFromNowAndMaxAge() throws Exception {
        assertEquals("Expires: Sun, 06 Nov 1994 09:49:37 GMT\r\nCache-Control: max-age=3600",
                edits(new ExpiresConfig(ExpiresConfig.Kind.AFTER, Duration.ofHours(1)), 200));
        assertEquals("Expires: Sun, 06 Nov 1994 08:49:37 GMT\r\nCache-Control: max-age=0",
                edits(new ExpiresConfig(ExpiresConfig.Kind.AFTER, Duration.ZERO), 304));
        assertEquals("Expires: Sun, 06 Nov 1994 08:48:37 GMT\r\nCache-Control: no-cache",
                edits(new ExpiresConfig(ExpiresConfig.Kind.AFTER, Duration.ofMinutes(-1)), 308));
    }

    @Test
    void onlySuccessesAndRedirectsAsNginx() throws Exception {
        ExpiresConfig hour = new ExpiresConfig(ExpiresConfig.Kind.AFTER, Duration.ofHours(1));
        for (int s : new int[] {200, 201, 204, 206, 301, 302, 303, 304, 307, 308}) {
            assertEquals(true, edits(hour, s) != null, "status " + s);
        }
        for (int s : new int[] {202, 300, 400, 404, 500, 503}) {
            assertNull(edits(hour, s), "status " + s);
        }
    }
}
