package io.kodiak.http;

import io.kodiak.http.Wire.Decoded;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static io.kodiak.http.Wire.buf;
import static io.kodiak.http.Wire.bytes;
import static io.kodiak.http.Wire.decode;
import static io.kodiak.http.Wire.rest;
import static io.kodiak.http.Wire.split;
import static io.kodiak.http.Wire.str;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BodyDecoderTest {

    @Test
    void lengthTakesExactlyItsBytes() throws HttpException {
        assertEquals(new Decoded("hello", true, "GET"), decode(BodyDecoder.length(5), List.of(buf("helloGET"))));
    }

    @Test
    void lengthIsTheSameInAnySplit() throws HttpException {
        Random rnd = new Random(99L);
        for (int round = 0; round < 100; round++) {
            assertEquals(new Decoded("0123456789", true, "rest"),
                    decode(BodyDecoder.length(10), split(bytes("0123456789rest"), rnd)));
        }
    }

    @Test
    void lengthSlicesWithoutCopying() throws HttpException {
        BodyDecoder d = BodyDecoder.length(3);
        var in = buf("abcdef");
        assertEquals("abc", str(rest(d.decode(in))));
        assertTrue(d.done());
        assertNull(d.decode(in));
        assertEquals("def", str(rest(in)));
    }

    @Test
    void lengthIsNotDoneWhileBytesAreMissing() throws HttpException {
        BodyDecoder d = BodyDecoder.length(4);
        assertEquals("ab", str(rest(d.decode(buf("ab")))));
        assertFalse(d.done());
        assertFalse(d.completesOnEof());
        assertNull(d.decode(buf("")));
    }

    @Test
    void zeroLengthIsDoneAtOnce() throws HttpException {
        BodyDecoder d = BodyDecoder.length(0);
        assertTrue(d.done());
        var in = buf("x");
        assertNull(d.decode(in));
        assertEquals(1, in.remaining());
    }

    @Test
    void closeDelimitedTakesEverythingAndEndsOnlyAtEof() throws HttpException {
        BodyDecoder d = BodyDecoder.closeDelimited();
        assertEquals(new Decoded("all of it", false, ""), decode(d, split(bytes("all of it"), new Random(5L))));
        assertTrue(d.completesOnEof());
        assertNull(d.decode(buf("")));
    }

    @Test
    void toStringShowsState() throws HttpException {
        BodyDecoder d = BodyDecoder.length(9);
        d.decode(buf("abc"));
        assertEquals("Length[6 left]", d.toString());
        assertEquals("CloseDelimited", BodyDecoder.closeDelimited().toString());
        BodyDecoder c = BodyDecoder.chunked(400);
        c.decode(buf("9\r\nabc"));
        assertEquals("ChunkedDecoder[DATA, 6 left]", c.toString());
    }
}
