package io.kodiak.proxy;

import io.kodiak.testing.Action;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.testing.ScriptedUpstream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** Upstream responses Kodiak must not relay, and upstream bytes that must not become a response. */
@Timeout(30)
class UpstreamResponseTest {
    private static final String MARK = "UPSTREAM-MARKER";
    private static final String INJECTED = "HTTP/1.1 200 OK\r\nContent-Length: 8\r\nX-Injected: yes\r\n\r\nINJECTED";

    static Stream<Arguments> invalidResponses() {
        String body = "\r\n\r\n" + MARK;
        return Stream.of(
                Arguments.of("four-digit status", "HTTP/1.1 2000 OK\r\nContent-Length: 15" + body),
                Arguments.of("status out of range", "HTTP/1.1 999 Odd\r\nContent-Length: 15" + body),
                Arguments.of("not HTTP", "HTTX/1.1 200 OK\r\nContent-Length: 15" + body),
                Arguments.of("HTTP/2 status line", "HTTP/2.0 200 OK\r\nContent-Length: 15" + body),
                Arguments.of("no status line", "Content-Length: 15" + body),
                Arguments.of("garbage", "\u0016\u0003\u0001 TLS? " + MARK + "\r\n\r\n"),
                Arguments.of("field without colon", "HTTP/1.1 200 OK\r\nBroken Field\r\nContent-Length: 15" + body),
                Arguments.of("space before colon", "HTTP/1.1 200 OK\r\nContent-Length : 15" + body),
                Arguments.of("obs-fold", "HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 15" + body),
                Arguments.of("bare CR", "HTTP/1.1 200 OK\r\nX-A: a\rb\r\nContent-Length: 15" + body),
                Arguments.of("NUL in a field", "HTTP/1.1 200 OK\r\nX-A: a\0b\r\nContent-Length: 15" + body),
                Arguments.of("CL and TE", "HTTP/1.1 200 OK\r\nContent-Length: 15\r\nTransfer-Encoding: chunked" + body),
                Arguments.of("conflicting CL", "HTTP/1.1 200 OK\r\nContent-Length: 15\r\nContent-Length: 16" + body),
                Arguments.of("bad CL", "HTTP/1.1 200 OK\r\nContent-Length: 1x5" + body),
                Arguments.of("TE not chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip" + body),
                Arguments.of("101 to a plain request", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                        + "Connection: upgrade\r\n\r\n" + MARK));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidResponses")
    void invalidResponseHeadGets502AndIsNeverRelayed(String name, String response) throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a", r -> Action.raw(response).thenClose());
             TestProxy proxy = ProxyConfig.to(up).start();
             RawClient c = proxy.client()) {
            RawResponse r = c.get("/");
            assertEquals(502, r.status(), name + ": " + r.rawHeadString());
            assertFalse(r.rawHeadString().contains(MARK) || r.bodyString().contains(MARK), name);
            assertFalse(r.headers().contains("X-A"), name);
        }
    }

    static Stream<Arguments> extraBytes() {
        return Stream.of(
                Arguments.of("after a 204", "HTTP/1.1 204 No Content\r\n\r\n", 204),
                Arguments.of("after a 304", "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n", 304),
                Arguments.of("beyond Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 200),
                Arguments.of("after the last chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "2\r\nok\r\n0\r\n\r\n", 200));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("extraBytes")
    void bytesAfterAResponseCannotAnswerTheNextRequest(String name, String response, int status) throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a", r -> r.sequence() == 0
                ? Action.raw(response + INJECTED) : Action.ok("genuine " + r.target()));
             TestProxy proxy = ProxyConfig.to(up).start();
             RawClient c = proxy.client()) {
            RawResponse first = c.get("/first");
            assertEquals(status, first.status(), name);
            RawResponse second = c.get("/second");
            assertEquals("genuine /second", second.bodyString(), name + ": " + second.rawHeadString());
            assertFalse(second.headers().contains("X-Injected"));
            assertEquals(2, up.connectionsAccepted(), "the polluted connection was not reused");
        }
    }

    @Test
    void bodyBytesSentToAHeadRequestCannotAnswerTheNextRequest() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a", r -> r.method().equals("HEAD")
                ? Action.raw("HTTP/1.1 200 OK\r\nContent-Length: " + INJECTED.length() + "\r\n\r\n" + INJECTED)
                : Action.ok("genuine " + r.target()));
             TestProxy proxy = ProxyConfig.to(up).start();
             RawClient c = proxy.client()) {
            RawResponse head = c.exchange("HEAD /h HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(200, head.status());
            RawResponse next = c.get("/next");
            assertEquals("genuine /next", next.bodyString(), next.rawHeadString());
        }
    }

    @Test
    void interimResponsesAreSkippedAndTheFinalOneRelayed() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a", r -> Action.raw(
                "HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n"
                        + "HTTP/1.1 100 Continue\r\n\r\n").then(Action.ok("final")));
             TestProxy proxy = ProxyConfig.to(up).start();
             RawClient c = proxy.client()) {
            RawResponse r = c.get("/");
            assertEquals(200, r.status());
            assertEquals("final", r.bodyString());
            assertEquals(200, c.get("/again").status());
        }
    }
}
