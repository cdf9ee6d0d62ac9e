package io.kodiak.http;

import io.kodiak.config.ServerHeaderPolicy;
import org.junit.jupiter.api.Test;

import static io.kodiak.http.Wire.bytes;
import static io.kodiak.http.Wire.head;
import static io.kodiak.http.Wire.str;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Removal by pattern ({@code Prefix-*}, {@code *-suffix}) as both encoders apply it. */
class FieldEditsPatternTest {
    @Test
    void prefixAndSuffixPatternsRemoveCaseInsensitively() throws HttpException {
        ResponseHead r = HeadParser.parseResponse(bytes(head("HTTP/1.1 200 OK", "Content-Length: 2",
                "X-Internal-A: 1", "x-INTERNAL-b: 2", "X-Internal: whole", "X-Debug-Trace: t", "X-Keep: k")), false);
        FieldEdits e = new FieldEdits().removeMatching("X-Internal-*").removeMatching("*-TRACE");
        String out = str(ResponseEncoder.encode(r, ServerHeaderPolicy.DEFAULTS, ResponseEncoder.ClientFraming.LENGTH,
                2, true, 1, false, null, null, e));
        assertFalse(out.toLowerCase().contains("x-internal-"), out);
        assertFalse(out.contains("X-Debug-Trace"), out);
        assertTrue(out.contains("X-Internal: whole\r\n"), "the prefix needs its '-': " + out);
        assertTrue(out.contains("X-Keep: k\r\n"), out);
        assertTrue(out.contains("Content-Length: 2\r\n"), out);
    }

    @Test
    void patternsNeverTakeHostOrFraming() throws HttpException {
        RequestHead r = HeadParser.parseRequest(bytes(head("POST / HTTP/1.1", "Host: a.example", "Content-Length: 3",
                "Hx: 1", "X-Gone: 1")), 100);
        FieldEdits e = new FieldEdits().removeMatching("h*").removeMatching("*-length").removeMatching("x-*");
        String out = str(RequestEncoder.encode(r, new io.kodiak.config.ForwardedHeaders(false, false, false, false, false), "10.0.0.1", "http", 3, null, null, 0, e));
        assertTrue(out.contains("Host: a.example\r\n"), out);
        assertTrue(out.contains("Content-Length: 3\r\n"), out);
        assertFalse(out.contains("Hx:"), out);
        assertFalse(out.contains("X-Gone"), out);
    }

    @Test
    void aPatternRemovesFieldsAddedBeforeItAndNotAfter() {
        FieldEdits e = new FieldEdits().add("X-Internal-Id", "1").removeMatching("x-internal-*").add("X-Internal-New", "2");
        assertEquals("X-Internal-New: 2", e.addedLines());
    }

    @Test
    void restoreForgetsEveryEditOfAName() {
        FieldEdits e = new FieldEdits().set("Cache-Control", "max-age=1").restore("cache-control");
        assertTrue(e.isEmpty(), e.toString());
    }

    @Test
    void malformedPatternsAreRefused() {
        for (String p : new String[] {"*", "**", "a*b", "*a*", "X Y*", "", "x"}) {
            assertThrows(IllegalArgumentException.class, () -> FieldEdits.checkPattern(p), p);
        }
        assertEquals("x-a-*", FieldEdits.checkPattern("X-A-*"));
    }

    /** What a later filter reads of a field: the message's, unless an earlier edit removed or set it. */
    @Test
    void valueAfterAndHasTokenSeeTheEdits() throws HttpException {
        HeaderFields f = HeadParser.parseResponse(bytes(head("HTTP/1.1 200 OK", "Content-Length: 2", "ETag: \"a\"",
                "Cache-Control: private", "Cache-Control: no-transform", "X-Debug-Id: 1")), false).fields();
        FieldEdits e = new FieldEdits();
        assertEquals("\"a\"", e.valueAfter(f, "etag"));
        assertTrue(e.hasToken(f, "cache-control", "no-transform"));
        e.remove("ETag").set("Cache-Control", "public, max-age=5").removeMatching("X-Debug-*").add("Vary", "Cookie");
        assertEquals(null, e.valueAfter(f, "etag"));
        assertEquals(null, e.valueAfter(f, "x-debug-id"));
        assertEquals("public, max-age=5", e.valueAfter(f, "cache-control"));
        assertFalse(e.hasToken(f, "cache-control", "no-transform"), "the set replaced the upstream's");
        assertTrue(e.hasToken(f, "cache-control", "public"));
        assertEquals("Cookie", e.valueAfter(f, "vary"));
        e.add("Cache-Control", "No-Transform");
        assertTrue(e.hasToken(f, "cache-control", "no-transform"));
    }

    /** A removal list built once (hide-internals) removes as the single removals would, and restore still undoes one. */
    @Test
    void aRemovalListActsAsItsRemovals() throws HttpException {
        ResponseHead r = HeadParser.parseResponse(bytes(head("HTTP/1.1 200 OK", "Content-Length: 2", "X-Powered-By: PHP",
                "x-drupal-cache: HIT", "X-Debug-Trace: t", "Host-Header: h", "X-Keep: k", "Expires: 0")), false);
        FieldRemovals list = new FieldRemovals(java.util.List.of("X-Powered-By", "X-Drupal-*", "*-Trace", "Host-Header",
                "*-length", "Expires", "x-powered-by"));
        FieldEdits e = new FieldEdits().add("X-Powered-By", "added before").removeAll(list).add("Host-Header", "after");
        String out = str(ResponseEncoder.encode(r, ServerHeaderPolicy.DEFAULTS, ResponseEncoder.ClientFraming.LENGTH,
                2, true, 1, false, null, null, e));
        assertFalse(out.contains("X-Powered-By"), out);
        assertFalse(out.toLowerCase().contains("x-drupal"), out);
        assertFalse(out.contains("X-Debug-Trace"), out);
        assertFalse(out.contains("Expires"), out);
        assertTrue(out.contains("Host-Header: after\r\n"), "an edit after the list stands: " + out);
        assertFalse(out.contains("Host-Header: h"), out);
        assertTrue(out.contains("X-Keep: k\r\n"), out);
        assertTrue(out.contains("Content-Length: 2\r\n"), "a pattern never takes framing: " + out);
        assertEquals(null, e.valueAfter(r.fields(), "x-powered-by"));
        e.restore("Expires");
        String restored = str(ResponseEncoder.encode(r, ServerHeaderPolicy.DEFAULTS, ResponseEncoder.ClientFraming.LENGTH,
                2, true, 1, false, null, null, e));
        assertTrue(restored.contains("Expires: 0\r\n"), "restore undoes the list's removal: " + restored);
        assertFalse(restored.contains("X-Powered-By"), restored);
        assertThrows(IllegalArgumentException.class, () -> new FieldRemovals(java.util.List.of("Connection")));
        assertThrows(IllegalArgumentException.class, () -> new FieldRemovals(java.util.List.of("X-*-Y")));
        assertTrue(new FieldRemovals(java.util.List.of()).isEmpty());
    }
}
