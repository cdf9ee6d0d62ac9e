package io.kodiak.proxy;

import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.testing.ScriptedUpstream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.time.Duration;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Requests that two parsers could frame differently: each gets its error status, the connection is
 * closed (its framing can no longer be trusted), and not one byte of it reaches the upstream.
 */
@Timeout(60)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SmugglingTest {
    private static final String H = "Host: t\r\n";
    private static final String SMUGGLED = "GET /smuggled HTTP/1.1\r\nHost: t\r\n\r\n";
    private static final String UPGRADE = "Connection: Upgrade\r\nUpgrade: websocket\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";

    private ScriptedUpstream up;
    private TestProxy proxy;

    @BeforeAll
    void start() throws IOException {
        up = ScriptedUpstream.start("a");
        proxy = ProxyConfig.to(up).start();
    }

    @AfterAll
    void stop() {
        proxy.close();
        up.close();
    }

    static Stream<Arguments> rejected() {
        return Stream.of(
                bad("CL and TE", "POST / HTTP/1.1\r\n" + H + "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "0\r\n\r\nG"),
                bad("TE and CL", "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n"
                        + "5c\r\n" + SMUGGLED),
                bad("two different CL fields", "POST / HTTP/1.1\r\n" + H + "Content-Length: 5\r\nContent-Length: 6\r\n\r\n"
                        + "hello!"),
                bad("CL list with different values", "POST / HTTP/1.1\r\n" + H + "Content-Length: 5, 6\r\n\r\nhello!"),
                bad("CL with sign", "POST / HTTP/1.1\r\n" + H + "Content-Length: +5\r\n\r\nhello"),
                bad("negative CL", "POST / HTTP/1.1\r\n" + H + "Content-Length: -1\r\n\r\n"),
                bad("hex CL", "POST / HTTP/1.1\r\n" + H + "Content-Length: 0x5\r\n\r\nhello"),
                bad("CL with inner space", "POST / HTTP/1.1\r\n" + H + "Content-Length: 1 0\r\n\r\n0123456789"),
                bad("empty CL", "POST / HTTP/1.1\r\n" + H + "Content-Length: \r\n\r\n"),
                bad("TE not chunked", "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: gzip\r\n\r\n" + SMUGGLED),
                bad("TE chunked then gzip", "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked, gzip\r\n\r\n"
                        + "0\r\n\r\n"),
                bad("TE identity", "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: identity\r\n\r\n" + SMUGGLED),
                bad("TE misspelt", "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n"),
                bad("TE in HTTP/1.0", "POST / HTTP/1.0\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
                bad("space before colon", "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n"),
                bad("bad chunk size", "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"),
                bad("negative chunk size", "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n-1\r\n\r\n"),
                bad("overflowing chunk size", "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n"
                        + "10000000000000001\r\nab\r\n0\r\n\r\n"),
                bad("chunk data longer than its size", "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n"
                        + "3\r\nabcdef\r\n0\r\n\r\n"),
                bad("obs-fold", "GET / HTTP/1.1\r\n" + H + "X-A: one\r\n two\r\n\r\n"),
                bad("obs-fold of Transfer-Encoding", "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding:\r\n chunked\r\n\r\n"
                        + "0\r\n\r\n"),
                bad("bare CR in a field", "GET / HTTP/1.1\r\n" + H + "X-A: a\rb\r\n\r\n"),
                bad("bare CR in the request line", "GET /\r HTTP/1.1\r\n" + H + "\r\n"),
                bad("bare CR ending a field line", "GET / HTTP/1.1\r\n" + H + "X-A: a\r\rX-B: b\r\n\r\n"),
                bad("NUL in a field", "GET / HTTP/1.1\r\n" + H + "X-A: a\0b\r\n\r\n"),
                bad("NUL in the target", "GET /a\0b HTTP/1.1\r\n" + H + "\r\n"),
                bad("missing Host", "GET / HTTP/1.1\r\nX-A: 1\r\n\r\n"),
                bad("duplicate Host", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
                bad("invalid Host", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"),
                bad("double space in request line", "GET  / HTTP/1.1\r\n" + H + "\r\n"),
                bad("junk after version", "GET / HTTP/1.1 x\r\n" + H + "\r\n"),
                bad("tab as separator", "GET\t/ HTTP/1.1\r\n" + H + "\r\n"),
                bad("missing version", "GET /\r\n" + H + "\r\n"),
                bad("lower-case protocol", "GET / http/1.1\r\n" + H + "\r\n"),
                bad("bad method character", "G(T / HTTP/1.1\r\n" + H + "\r\n"),
                bad("leading space", " GET / HTTP/1.1\r\n" + H + "\r\n"),
                bad("relative target", "GET foo HTTP/1.1\r\n" + H + "\r\n"),
                bad("userinfo in absolute target", "GET http://u@t/ HTTP/1.1\r\n" + H + "\r\n"),
                bad("field without colon", "GET / HTTP/1.1\r\n" + H + "NoColon\r\n\r\n"),
                // A handshake's body left unread would be parsed as the next request when the
                // upstream refuses the upgrade: a hidden request past any front proxy's rules.
                bad("WebSocket upgrade with a Content-Length body", "GET /echo HTTP/1.1\r\n" + H + UPGRADE
                        + "Content-Length: " + SMUGGLED.length() + "\r\n\r\n" + SMUGGLED),
                bad("WebSocket upgrade with a chunked body", "GET /echo HTTP/1.1\r\n" + H + UPGRADE
                        + "Transfer-Encoding: chunked\r\n\r\n" + Integer.toHexString(SMUGGLED.length()) + "\r\n"
                        + SMUGGLED + "\r\n0\r\n\r\n"),
                Arguments.of("HTTP/2.0 request line", "GET / HTTP/2.0\r\n" + H + "\r\n", 505),
                Arguments.of("unknown expectation", "POST / HTTP/1.1\r\n" + H + "Expect: 200-ok\r\nContent-Length: 1\r\n\r\nx",
                        417),
                Arguments.of("long request line", "GET /" + "a".repeat(8200) + " HTTP/1.1\r\n" + H + "\r\n", 414),
                Arguments.of("huge head", "GET / HTTP/1.1\r\n" + H + ("X-Big: " + "b".repeat(1000) + "\r\n").repeat(40)
                        + "\r\n", 431),
                Arguments.of("too many fields", "GET / HTTP/1.1\r\n" + H + "X-N: 1\r\n".repeat(100) + "\r\n", 431));
    }

    private static Arguments bad(String name, String request) {
        return Arguments.of(name, request, 400);
    }

    @ParameterizedTest(name = "{0} -> {2}")
    @MethodSource("rejected")
    void rejectedAndClosedWithoutReachingTheUpstream(String name, String request, int status) throws Exception {
        try (RawClient c = proxy.client()) {
            c.send(request);
            RawResponse r = c.readResponse();
            assertEquals(status, r.status(), name + ": " + r.rawHeadString());
            assertEquals("close", r.header("Connection"), r.rawHeadString());
            assertEquals(RawClient.Closure.EOF, c.awaitClose(), name);
        }
        // Checked after the close: had Kodiak forwarded anything, the upstream would have it by now.
        assertEquals(0, up.connectionsAccepted(), name + ": " + up);
    }

    @Test
    void smugglingAttemptAfterAGoodRequestOnTheSameConnectionIsCutOff() throws Exception {
        try (ScriptedUpstream other = ScriptedUpstream.start("b");
             TestProxy p = ProxyConfig.to(other).start();
             RawClient c = p.client()) {
            c.send("GET /ok HTTP/1.1\r\n" + H + "\r\n"
                    + "POST /x HTTP/1.1\r\n" + H + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5c\r\n" + SMUGGLED);
            assertEquals(200, c.readResponse().status());
            assertEquals(400, c.readResponse().status());
            assertEquals(RawClient.Closure.EOF, c.awaitClose());
            assertEquals(1, other.requestsReceived(), other.requests().toString());
            assertTrue(other.requests().stream().noneMatch(q -> q.target().equals("/smuggled")));
        }
    }

    @Test
    void identicalRepeatedContentLengthIsAcceptedAsOne() throws Exception {
        try (ScriptedUpstream other = ScriptedUpstream.start("b");
             TestProxy p = ProxyConfig.to(other).start();
             RawClient c = p.client()) {
            RawResponse r = c.exchange("POST /same HTTP/1.1\r\n" + H + "Content-Length: 5\r\nContent-Length: 5, 5\r\n\r\n"
                    + "hello");
            assertEquals(200, r.status());
            assertEquals("hello", other.takeRequest(Duration.ofSeconds(5)).body().utf8());
            assertEquals(1, other.requests().get(0).headers().values("Content-Length").size(),
                    other.requests().get(0).rawHeadString());
        }
    }
}
