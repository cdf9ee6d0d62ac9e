package io.kodiak.compress;

import io.kodiak.http.HeaderFields;
import io.kodiak.http.HeadParser;
import io.kodiak.http.HttpException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static io.kodiak.compress.AcceptEncoding.Coding.BROTLI;
import static io.kodiak.compress.AcceptEncoding.Coding.GZIP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** RFC 9110 §12.5.3 negotiation: weights, refusals, wildcards, identity, several fields. */
class AcceptEncodingTest {
    private static AcceptEncoding.Coding choose(boolean br, boolean gz, String... values) {
        StringBuilder head = new StringBuilder("GET / HTTP/1.1\r\nHost: t\r\n");
        for (String v : values) {
            head.append("Accept-Encoding: ").append(v).append("\r\n");
        }
        try {
            HeaderFields f = HeadParser.parseRequest(head.append("\r\n").toString()
                    .getBytes(StandardCharsets.ISO_8859_1), 100).fields();
            return AcceptEncoding.choose(f, br, gz);
        } catch (HttpException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void plainListsPreferBrotliOnATie() {
        assertEquals(BROTLI, choose(true, true, "gzip, deflate, br"));
        assertEquals(GZIP, choose(false, true, "gzip, deflate, br"));
        assertEquals(GZIP, choose(true, true, "gzip"));
        assertEquals(BROTLI, choose(true, false, "br"));
        assertNull(choose(true, false, "gzip"));
    }

    @Test
    void weightsDecide() {
        assertEquals(GZIP, choose(true, true, "br;q=0.5, gzip;q=0.8"));
        assertEquals(BROTLI, choose(true, true, "br;q=0.801, gzip;q=0.8"));
        assertEquals(GZIP, choose(true, true, "gzip;q=1.0, br;q=0.999"));
        assertEquals(GZIP, choose(true, true, "GZIP ; Q=1, BR;q=0.1"), "case-insensitive, spaces around ';'");
    }

    @Test
    void zeroRefuses() {
        assertNull(choose(true, true, "gzip;q=0, br;q=0"));
        assertNull(choose(true, true, "gzip;q=0.000"));
        assertEquals(GZIP, choose(true, true, "br;q=0, gzip"));
        assertNull(choose(true, true, "*;q=0"));
        assertNull(choose(true, true, "*;q=0, identity"));
    }

    @Test
    void starStandsForCodingsNotNamed() {
        assertEquals(BROTLI, choose(true, true, "*"));
        assertEquals(GZIP, choose(true, true, "br;q=0, *"));
        assertEquals(BROTLI, choose(true, true, "gzip;q=0, *;q=0.3"));
        assertEquals(GZIP, choose(true, true, "gzip;q=0.5, *;q=0.1"), "gzip named at 0.5 beats br by * at 0.1");
    }

    @Test
    void identityAndEmptyLists() {
        assertNull(choose(true, true, "identity"));
        assertNull(choose(true, true, ""));
        assertNull(choose(true, true), "no field: no compression");
        assertNull(choose(true, true, "identity;q=1, gzip;q=0.5"), "identity preferred explicitly");
        assertEquals(GZIP, choose(true, true, "identity;q=0.5, gzip"));
        assertEquals(GZIP, choose(true, true, "deflate, compress, x-gzip"));
    }

    @Test
    void severalFieldsCombine() {
        assertEquals(BROTLI, choose(true, true, "gzip;q=0.5", "br"));
        assertNull(choose(true, true, "gzip;q=0", "br;q=0"));
        assertEquals(GZIP, choose(true, true, "deflate", "gzip"));
    }

    @Test
    void malformedWeightsRefuseTheirElement() {
        assertNull(choose(true, true, "gzip;q=2"));
        assertNull(choose(true, true, "gzip;q=1.5"));
        assertNull(choose(true, true, "gzip;q=0.0001"));
        assertNull(choose(true, true, "gzip;q=abc"));
        assertNull(choose(true, true, "gzip;q="));
        assertEquals(GZIP, choose(true, true, "br;q=-1, gzip"));
        assertEquals(1000, AcceptEncoding.weight("level=1"));
        assertEquals(500, AcceptEncoding.qvalue("0.5"));
        assertEquals(1000, AcceptEncoding.qvalue("1.000"));
        assertEquals(7, AcceptEncoding.qvalue("0.007"));
    }

    @Test
    void aHugeListIsCutShortNotSlow() {
        String many = "x-unknown, ".repeat(10_000) + "gzip";
        assertNull(choose(true, true, many), "elements past the 64th are not looked at");
        assertEquals(GZIP, choose(true, true, "gzip, " + "x-unknown, ".repeat(10_000)));
    }
}
