package io.kodiak.accesslog;

import org.junit.jupiter.api.Test;

import java.time.ZoneId;
import java.time.ZoneOffset;

import static io.kodiak.accesslog.Entries.format;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AccessLogCombinedFormatTest {
    private final AccessLogFormat combined = AccessLogFormat.combined(ZoneOffset.UTC);

    @Test
    void fullEntryIsNginxCombined() {
        assertEquals("192.0.2.7 - demo [04/Dec/2026:18:04:25 +0000] \"GET /v1/items?id=3 HTTP/1.1\" 200 1200"
                        + " \"https://example.com/\" \"curl/8.5.0\"",
                format(combined, Entries.full()));
    }

    @Test
    void absentFieldsAreDashes() {
        assertEquals("127.0.0.1 - - [04/Dec/2026:18:04:25 +0000] \"-\" 400 0 \"-\" \"-\"",
                format(combined, Entries.sparse()));
    }

    @Test
    void theUserFieldIsBasicAuthsUserElseADash() {
        assertTrue(format(combined, Entries.sparse()).startsWith("127.0.0.1 - - ["));
        assertTrue(format(combined, Entries.full()).startsWith("192.0.2.7 - demo ["));
    }

    @Test
    void timeLocalIsInTheGivenZone() {
        String line = format(AccessLogFormat.combined(ZoneId.of("Europe/Berlin")), Entries.full());
        assertEquals("[04/Dec/2026:19:04:25 +0100]", line.substring(line.indexOf('['), line.indexOf(']') + 1));
    }

    @Test
    void clientControlledFieldsAreEscapedAsNginxDoes() {
        String agent = "evil\" \"x\\y\n192.0.2.9 - - [forged]\u0000é\u20ac";
        String line = format(combined, Entries.withAgent(agent));
        assertTrue(line.endsWith(" \"evil\\x22 \\x22x\\x5Cy\\x0A192.0.2.9 - - [forged]\\x00\\xE9\\xE2\\x82\\xAC\""), line);
        assertEquals(-1, line.indexOf('\n'));
        assertEquals(-1, line.indexOf('\u0000'));
    }
}
