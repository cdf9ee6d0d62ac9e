package io.kodiak.http;

import org.junit.jupiter.api.Test;

import static io.kodiak.http.Wire.head;
import static io.kodiak.http.Wire.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HeaderFieldsTest {

    private static HeaderFields fields(String... lines) throws HttpException {
        String[] all = new String[lines.length + 2];
        all[0] = "GET / HTTP/1.1";
        all[1] = "Host: a";
        System.arraycopy(lines, 0, all, 2, lines.length);
        return request(head(all)).fields();
    }

    @Test
    void findsTokensInCommaListsAcrossFields() throws HttpException {
        HeaderFields f = fields("Connection: ,, Keep-Alive ,\tUPGRADE\t", "connection: x-a");
        assertTrue(f.hasToken("connection", "keep-alive"));
        assertTrue(f.hasToken("connection", "upgrade"));
        assertTrue(f.hasToken("connection", "x-a"));
        assertFalse(f.hasToken("connection", "close"));
        assertFalse(f.hasToken("connection", "keep"));
        assertFalse(f.hasToken("upgrade", "upgrade"));
    }

    @Test
    void tokensAreWholeListElements() throws HttpException {
        HeaderFields f = fields("Connection: closed, not close");
        assertFalse(f.hasToken("connection", "close"));
    }

    @Test
    void knowsWhichFieldsConnectionNames() throws HttpException {
        HeaderFields f = fields("Connection: X-Secret", "X-Secret: 1", "X-Public: 2");
        assertTrue(f.namedByConnection(f.indexOf("x-secret", 0)));
        assertFalse(f.namedByConnection(f.indexOf("x-public", 0)));
    }

    @Test
    void looksUpNamesCaseInsensitively() throws HttpException {
        HeaderFields f = fields("X-A: 1", "x-a: 2", "X-B: 3");
        assertEquals("1", f.get("x-a"));
        assertEquals(2, f.count("x-a"));
        assertEquals(2, f.indexOf("x-a", 2));
        assertEquals(-1, f.indexOf("x-a", 3));
        assertNull(f.get("x-c"));
        assertTrue(f.nameIs(3, "x-b"));
        assertEquals("HeaderFields[Host: a, X-A: 1, x-a: 2, X-B: 3]", f.toString());
    }

    @Test
    void growsPastItsInitialCapacity() throws HttpException {
        String[] many = new String[40];
        for (int i = 0; i < many.length; i++) {
            many[i] = "X-" + i + ": " + i;
        }
        HeaderFields f = fields(many);
        assertEquals(41, f.size());
        assertEquals("39", f.get("x-39"));
    }
}
