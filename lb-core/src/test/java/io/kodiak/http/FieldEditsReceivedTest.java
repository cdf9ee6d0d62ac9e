package io.kodiak.http;

import io.kodiak.config.ForwardedHeaders;
import org.junit.jupiter.api.Test;

import static io.kodiak.http.Wire.bytes;
import static io.kodiak.http.Wire.head;
import static io.kodiak.http.Wire.str;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link FieldEdits#removeReceived}: the message's own fields go, the ones a filter added stay. */
class FieldEditsReceivedTest {
    @Test
    void theClientsFieldGoesAndTheAddedOneStays() throws HttpException {
        RequestHead r = HeadParser.parseRequest(bytes(head("GET / HTTP/1.1", "Host: a", "X-Real-IP: 6.6.6.6",
                "x-real-ip: 7.7.7.7", "X-Other: o")), 100);
        FieldEdits e = new FieldEdits().set("X-Real-IP", "192.0.2.1").removeReceived("X-REAL-IP");
        String out = str(RequestEncoder.encode(r, new ForwardedHeaders(false, false, false, false, false), "10.0.0.1",
                "http", 0, null, null, 0, e));
        assertFalse(out.contains("6.6.6.6"), out);
        assertFalse(out.contains("7.7.7.7"), out);
        assertTrue(out.contains("X-Real-IP: 192.0.2.1\r\n"), out);
        assertTrue(out.contains("X-Other: o\r\n"), out);
        assertEquals("192.0.2.1", e.valueAfter(r.fields(), "x-real-ip"));
        // remove, by contrast, takes what was added before it too.
        assertEquals(null, new FieldEdits().add("X-Real-IP", "1.1.1.1").remove("X-Real-IP").addedLines());
    }

    @Test
    void framingIsRefusedAsByRemove() {
        assertThrows(IllegalArgumentException.class, () -> new FieldEdits().removeReceived("Content-Length"));
    }
}
