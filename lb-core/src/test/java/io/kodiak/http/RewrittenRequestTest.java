package io.kodiak.http;

import io.kodiak.config.ForwardedHeaders;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static io.kodiak.http.Wire.head;
import static io.kodiak.http.Wire.request;
import static io.kodiak.http.Wire.str;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A rewrite's target and Host in the head sent upstream, the text encoding behind them, and fixed answers. */
class RewrittenRequestTest {
    private static final ForwardedHeaders FWD = new ForwardedHeaders(false, false, true, true);

    private static String encode(String head, FieldEdits edits, String target, String host) throws HttpException {
        return str(RequestEncoder.encode(request(head), FWD, "203.0.113.7", "http", RequestHead.NO_BODY, null, null, 0,
                edits, 0, target, host));
    }

    @Test
    void onlyTheTargetAndHostChangeAndForwardingReportsTheClientsHost() throws HttpException {
        String in = head("GET /api/a?b=1 HTTP/1.1", "Host: Front.Example", "X-A: 1");
        assertEquals(head("GET /a?b=1 HTTP/1.1", "X-A: 1", "Host: 10.0.0.5:8000", "X-Forwarded-Host: Front.Example",
                "Forwarded: for=203.0.113.7;proto=http;host=\"Front.Example\""), encode(in, null, "/a?b=1", "10.0.0.5:8000"));
        assertEquals(head("GET /a HTTP/1.1", "Host: Front.Example", "X-A: 1", "X-Forwarded-Host: Front.Example",
                "Forwarded: for=203.0.113.7;proto=http;host=\"Front.Example\""), encode(in, null, "/a", null));
    }

    @Test
    void theRewrittenHostWinsOverAnEditsHostAndAnAbsoluteFormsAuthority() throws HttpException {
        FieldEdits edits = new FieldEdits().set("Host", "edited").remove("Host"); // as RequestPhase leaves them
        String out = encode(head("GET /x HTTP/1.1", "Host: front"), edits, null, "up:81");
        assertEquals(1, out.split("\r\n[Hh]ost:", -1).length - 1, out);
        assertTrue(out.contains("\r\nHost: up:81\r\n"), out);
        out = encode(head("GET http://abs.example/p HTTP/1.1", "Host: abs.example"), null, "/q", "up:81");
        assertTrue(out.startsWith("GET /q HTTP/1.1\r\n"), out);
        assertTrue(out.contains("X-Forwarded-Host: abs.example\r\n"), out);
        assertEquals(1, out.split("\r\nHost:", -1).length - 1, "one Host, the rewritten one: " + out);
    }

    /** A Host a header rule set goes upstream; X-Forwarded-Host and Forwarded still report the client's. */
    @Test
    void anEditsHostIsSentButForwardingReportsTheClientsHost() throws HttpException {
        FieldEdits edits = new FieldEdits().set("Host", "backend.internal");
        assertEquals(head("GET /x HTTP/1.1", "X-A: 1", "Host: backend.internal", "X-Forwarded-Host: client.example",
                "Forwarded: for=203.0.113.7;proto=http;host=\"client.example\""),
                encode(head("GET /x HTTP/1.1", "Host: client.example", "X-A: 1"), edits, null, null));
        String abs = encode(head("GET http://abs.example/p HTTP/1.1", "Host: abs.example"), edits, null, null);
        assertTrue(abs.contains("X-Forwarded-Host: abs.example\r\n"), abs);
        assertEquals(1, abs.split("\r\nHost:", -1).length - 1, abs);
        // Host is never only removed: a request needs one, so the client's goes on.
        assertEquals(head("GET /x HTTP/1.1", "Host: client.example", "X-Forwarded-Host: client.example",
                "Forwarded: for=203.0.113.7;proto=http;host=\"client.example\""),
                encode(head("GET /x HTTP/1.1", "Host: client.example"), new FieldEdits().remove("Host"), null, null));
    }

    @Test
    void uriTextEncodesWhatCannotAppearAndKeepsWellFormedEscapes() {
        assertEquals("/a%20b%3F%23%0D%0A%25zz%41%C3%A9", UriText.path("/a b?#\r\n%zz%41\u00e9"));
        assertEquals("a=1&b=/x?y%20z", UriText.query("a=1&b=/x?y z"));
        assertEquals("https://[::1]:8/p?q#f%22%3C%3E", UriText.reference("https://[::1]:8/p?q#f\"<>"));
        String plain = "/already/fine";
        assertTrue(plain == UriText.path(plain), "no copy when nothing changes");
        assertEquals("%25", UriText.path("%"));
        assertEquals("%254%41", UriText.path("%4%41"), "a '%' without two hex digits is data");
        assertTrue(UriText.isOriginForm("/a?b"));
        assertFalse(UriText.isOriginForm("a"));
        assertFalse(UriText.isOriginForm("/a b"));
        assertFalse(UriText.isOriginForm("/a#b"));
        assertTrue(UriText.isAuthority("[::1]:80"));
        assertFalse(UriText.isAuthority("a b"));
    }

    @Test
    void fixedResponsesAreEncodedAhead() {
        ServerField none = new ServerField() {
            public boolean passesUpstream() {
                return false;
            }

            public boolean setsOwn() {
                return false;
            }

            public String value() {
                return null;
            }
        };
        FixedResponse ok = new FixedResponse(200, "text/plain", "hi".getBytes(), List.of(Map.entry("X-A", "b")));
        String out = ok.encode(none, true, "X-Request-ID: r1", false).toString();
        assertTrue(out.matches("HTTP/1\\.1 200 OK\r\nDate: [^\r]+ GMT\r\nContent-Type: text/plain\r\nX-A: b\r\n"
                + "Content-Length: 2\r\nX-Request-ID: r1\r\n\r\nhi"), out);
        String head = ok.encode(none, false, null, true).toString();
        assertTrue(head.endsWith("Content-Length: 2\r\nConnection: close\r\n\r\n"), head);
        String http10 = ok.encode(none, true, 0, null, false).toString();
        assertTrue(http10.endsWith("Content-Length: 2\r\nConnection: keep-alive\r\n\r\nhi"), http10);
        assertEquals(http10.length(), ok.encode(none, true, 0, null, false).length(), "sized ahead: one array");
        String closed10 = ok.encode(none, false, 0, null, false).toString();
        assertTrue(closed10.endsWith("Connection: close\r\n\r\nhi"), closed10);
        String noContent = new FixedResponse(204, null, new byte[0], List.of()).encode(none, true, null, false).toString();
        assertFalse(noContent.contains("Content-Length"), noContent);
        assertThrows(IllegalArgumentException.class, () -> new FixedResponse(304, "a/b", new byte[1], List.of()));
        assertThrows(IllegalArgumentException.class, () -> new FixedResponse(205, "a/b", new byte[1], List.of()));
        String reset = new FixedResponse(205, null, new byte[0], List.of()).encode(none, true, null, false).toString();
        assertTrue(reset.startsWith("HTTP/1.1 205 Reset Content\r\n") && reset.endsWith("Content-Length: 0\r\n\r\n"),
                "no content, but framed: " + reset);
        assertThrows(IllegalArgumentException.class, () -> new FixedResponse(101, null, new byte[0], List.of()));
        assertThrows(IllegalArgumentException.class,
                () -> new FixedResponse(200, null, new byte[0], List.of(Map.entry("Transfer-Encoding", "chunked"))));
        assertThrows(IllegalArgumentException.class,
                () -> new FixedResponse(200, null, new byte[0], List.of(Map.entry("X-A", "a\r\nB: c"))));
    }
}
