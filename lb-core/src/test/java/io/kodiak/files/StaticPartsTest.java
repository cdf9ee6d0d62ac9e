package io.kodiak.files;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pure parts of a static route: ranges, validators, Accept-Encoding, path names, types, the prefix. */
class StaticPartsTest {
    private static ByteRange partial(long first, long last) {
        return new ByteRange(ByteRange.Kind.PARTIAL, first, last);
    }

    @Test
    void rangesAsRfc9110ReadsThem() {
        assertEquals(partial(0, 9), ByteRange.parse("bytes=0-9", 100));
        assertEquals(partial(90, 99), ByteRange.parse("bytes=-10", 100));
        assertEquals(partial(0, 99), ByteRange.parse("bytes=-1000", 100));
        assertEquals(partial(50, 99), ByteRange.parse("bytes=50-", 100));
        assertEquals(partial(50, 99), ByteRange.parse("BYTES= 50 - 1000 ", 100));
        assertEquals(partial(0, 9), ByteRange.parse("bytes=0-9,", 100), "an empty list element is no second range");
        assertEquals(ByteRange.UNSATISFIABLE, ByteRange.parse("bytes=100-", 100));
        assertEquals(ByteRange.UNSATISFIABLE, ByteRange.parse("bytes=-0", 100));
        assertEquals(ByteRange.UNSATISFIABLE, ByteRange.parse("bytes=0-", 0));
        assertEquals(ByteRange.UNSATISFIABLE, ByteRange.parse("bytes=99999999999999999999999-", 100));
        assertEquals(partial(5, 99), ByteRange.parse("bytes=5-99999999999999999999999", 100));
        for (String whole : new String[] {"bytes=0-1,5-6", "bytes=9-5", "bytes=a-b", "bytes=", "bytes=-", "bytes=--1",
                "items=0-5", "bytes 0-5", "", "bytes=1-2-3", "bytes=+1-2"}) {
            assertEquals(ByteRange.WHOLE, ByteRange.parse(whole, 100), whole);
        }
        assertEquals(10, partial(0, 9).count());
    }

    @Test
    void validatorsAreNginxsAndComparedAsRfc9110Says() {
        assertEquals("\"659380a5-1a2b\"", Validators.etag(1704165541L, 0x1a2b));
        assertEquals("Tue, 02 Jan 2024 03:04:05 GMT", Validators.httpDate(1704164645L));
        assertEquals(1704164645L, Validators.parseDate("Tue, 02 Jan 2024 03:04:05 GMT"));
        assertEquals(1704164645L, Validators.parseDate("Tuesday, 02-Jan-24 03:04:05 GMT"));
        assertEquals(1704164645L, Validators.parseDate("Tue Jan  2 03:04:05 2024"));
        assertEquals(Long.MIN_VALUE, Validators.parseDate("2024-01-02"));
        String tag = "\"a-1\"";
        assertTrue(Validators.noneMatchFails("\"a-1\"", tag));
        assertTrue(Validators.noneMatchFails("W/\"a-1\"", tag));
        assertTrue(Validators.noneMatchFails("\"b\" , W/\"a-1\"", tag));
        assertTrue(Validators.noneMatchFails("*", tag));
        assertFalse(Validators.noneMatchFails("\"a-2\", \"a\"", tag));
        assertTrue(Validators.notModifiedSince("Tue, 02 Jan 2024 03:04:05 GMT", 1704164645L));
        assertFalse(Validators.notModifiedSince("Tue, 02 Jan 2024 03:04:04 GMT", 1704164645L));
        assertFalse(Validators.notModifiedSince("garbage", 1704164645L));
        assertTrue(Validators.ifRangeHolds(tag, tag, 0));
        assertFalse(Validators.ifRangeHolds("W/" + tag, tag, 0));
        assertTrue(Validators.ifRangeHolds("Tue, 02 Jan 2024 03:04:05 GMT", tag, 1704164645L));
        assertFalse(Validators.ifRangeHolds("Tue, 02 Jan 2024 03:04:06 GMT", tag, 1704164645L));
    }

    @Test
    void acceptEncodingWithQValues() {
        List<String> both = List.of("br", "gzip");
        assertEquals("br", AcceptEncoding.choose("gzip, deflate, br", both));
        assertEquals("gzip", AcceptEncoding.choose("gzip, deflate, br", List.of("gzip", "br")), "ties go by the route's order");
        assertEquals("gzip", AcceptEncoding.choose("br;q=0.1, gzip;q=0.9", both));
        assertEquals("gzip", AcceptEncoding.choose("br;q=0, *", both));
        assertEquals("gzip", AcceptEncoding.choose("X-GZIP", both));
        assertNull(AcceptEncoding.choose("gzip;q=0, br;q=0.000", both));
        assertNull(AcceptEncoding.choose("identity", both));
        assertNull(AcceptEncoding.choose("*;q=0", both));
        assertNull(AcceptEncoding.choose("gzip;q=2", both), "a malformed q refuses");
        assertNull(AcceptEncoding.choose(null, both));
        assertNull(AcceptEncoding.choose("", both));
    }

    @Test
    void pathNamesAreDecodedAndRefusedWhenTheyCouldLeaveTheirDirectory() {
        assertEquals(List.of("a", "b c.css"), SafePath.names("/a/b%20c.css"));
        assertEquals(List.of(), SafePath.names("/"));
        assertEquals(List.of(), SafePath.names(""));
        assertEquals(List.of("caf\u00e9"), SafePath.names("caf%C3%A9"));
        assertEquals(List.of("%2e%2e"), SafePath.names("%252e%252e"), "decoded once: a literal name");
        for (String refused : new String[] {"..%2Fx", "%2e%2e", "%2E", "a%2fb", "a%5Cb", "a%00", "%0a", "%7f", "%c0%ae%c0%ae",
                "%ff", "%e2%82", "a".repeat(256), "%e2%82%ac".repeat(86), "\u00e9", "a%2", "%zz"}) {
            assertNull(SafePath.names("/" + refused), refused);
        }
        assertEquals(1, SafePath.names("a".repeat(255)).size());
    }

    @Test
    void typesAndThePrefix() {
        assertEquals("text/html; charset=utf-8", MimeTypes.of("INDEX.HTML"));
        assertEquals("application/wasm", MimeTypes.of("app.wasm"));
        assertEquals("application/gzip", MimeTypes.of("a.tar.gz"));
        assertEquals("application/octet-stream", MimeTypes.of("Makefile"));
        assertEquals("application/octet-stream", MimeTypes.of("trailing."));
        assertEquals("/a/b", StaticSite.below("/a/b", null));
        assertEquals("a/b", StaticSite.below("/s/a/b", "/s/"));
        assertEquals("/a", StaticSite.below("/s/a", "/s"));
        assertEquals("", StaticSite.below("/s", "/s"));
        assertNull(StaticSite.below("/s../x", "/s"), "nginx's alias trap");
        assertNull(StaticSite.below("/sx", "/s"));
        assertNull(StaticSite.below("/t/x", "/s/"));
    }
}
