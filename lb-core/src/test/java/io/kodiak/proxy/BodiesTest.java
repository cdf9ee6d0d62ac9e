package io.kodiak.proxy;

import io.kodiak.testing.Action;
import io.kodiak.testing.BodyFraming;
import io.kodiak.testing.DeterministicBytes;
import io.kodiak.testing.HeaderFields;
import io.kodiak.testing.Loopback;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.testing.RecordedRequest;
import io.kodiak.testing.ScriptedUpstream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Request and response bodies in every framing, bodiless responses, 100-continue and 413. */
@Timeout(30)
class BodiesTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final int SIZE = 300_000;
    private static final String SHA = DeterministicBytes.of(5).sha256Hex(SIZE);

    @ParameterizedTest(name = "request buffering {0}")
    @ValueSource(booleans = {true, false})
    void contentLengthRequestBodyArrivesIntact(boolean buffering) throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             TestProxy proxy = ProxyConfig.to(up).buffering(buffering, true).start();
             RawClient c = proxy.client()) {
            c.send("PUT /cl HTTP/1.1\r\nHost: t\r\nContent-Length: " + SIZE + "\r\n\r\n");
            c.sendBody(5, SIZE);
            assertEquals(200, c.readResponse().status());
            RecordedRequest r = up.takeRequest(WAIT);
            assertEquals(BodyFraming.CONTENT_LENGTH, r.framing());
            assertEquals(String.valueOf(SIZE), r.header("Content-Length"));
            assertEquals(SIZE, r.body().length());
            assertEquals(SHA, r.body().sha256());
        }
    }

    @Test
    void bufferedChunkedRequestReachesTheUpstreamWithContentLength() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             TestProxy proxy = ProxyConfig.to(up).start();
             RawClient c = proxy.client()) {
            c.send("POST /chunked HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
            c.sendChunkedBody(5, SIZE, 7_000);
            assertEquals(200, c.readResponse().status());
            RecordedRequest r = up.takeRequest(WAIT);
            assertEquals(BodyFraming.CONTENT_LENGTH, r.framing(), r.rawHeadString());
            assertEquals(String.valueOf(SIZE), r.header("Content-Length"));
            assertNull(r.header("Transfer-Encoding"), r.rawHeadString());
            assertEquals(SHA, r.body().sha256());
        }
    }

    @Test
    void streamedChunkedRequestReachesTheUpstreamChunkedAndIntact() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             TestProxy proxy = ProxyConfig.to(up).buffering(false, false).start();
             RawClient c = proxy.client()) {
            c.send("POST /chunked HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
            c.sendChunkedBody(5, SIZE, 7_000);
            assertEquals(200, c.readResponse().status());
            RecordedRequest r = up.takeRequest(WAIT);
            assertEquals(BodyFraming.CHUNKED, r.framing(), r.rawHeadString());
            assertEquals(SHA, r.body().sha256());
            assertEquals(List.of(), up.errors());
        }
    }

    @ParameterizedTest(name = "response buffering {0}")
    @ValueSource(booleans = {true, false})
    void responsesInEveryFramingReachAnHttp11ClientIntact(boolean buffering) throws Exception {
        byte[] body = DeterministicBytes.of(5).bytes(SIZE);
        try (ScriptedUpstream up = ScriptedUpstream.start("a", r -> switch (r.target()) {
                case "/length" -> Action.streamBody(200, SIZE, 5, false);
                case "/chunked" -> Action.streamBody(200, SIZE, 5, true);
                case "/close" -> Action.closeDelimited(200, HeaderFields.of("X-Kind", "close"), body);
                default -> Action.respond(404, "no");
             });
             TestProxy proxy = ProxyConfig.to(up).buffering(true, buffering).start();
             RawClient c = proxy.client()) {
            RawResponse length = c.get("/length");
            assertEquals(BodyFraming.CONTENT_LENGTH, length.framing());
            assertEquals(SHA, length.body().sha256());

            RawResponse chunked = c.get("/chunked");
            assertEquals(BodyFraming.CHUNKED, chunked.framing());
            assertEquals(SHA, chunked.body().sha256());

            // The upstream ends the body by closing; Kodiak re-frames it so the client can keep going.
            RawResponse close = c.get("/close");
            assertEquals(BodyFraming.CHUNKED, close.framing(), close.rawHeadString());
            assertEquals("close", close.header("X-Kind"));
            assertEquals(SHA, close.body().sha256());
            assertEquals(200, c.get("/length").status());
        }
    }

    @Test
    void http10ClientGetsCloseDelimitedBodiesForChunkedAndCloseDelimitedUpstreams() throws Exception {
        byte[] body = DeterministicBytes.of(5).bytes(SIZE);
        try (ScriptedUpstream up = ScriptedUpstream.start("a", r -> r.target().equals("/close")
                ? Action.closeDelimited(200, HeaderFields.EMPTY, body) : Action.streamBody(200, SIZE, 5, true));
             TestProxy proxy = ProxyConfig.to(up).start()) {
            for (String target : List.of("/chunked", "/close")) {
                try (RawClient c = proxy.client()) {
                    RawResponse r = c.exchange("GET " + target + " HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
                    assertEquals(BodyFraming.CLOSE_DELIMITED, r.framing(), r.rawHeadString());
                    assertNull(r.header("Transfer-Encoding"));
                    assertEquals(SHA, r.body().sha256());
                }
            }
        }
    }

    @Test
    void chunkExtensionsAndTrailersAreConsumedWithoutDesyncingEitherSide() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a", r -> Action.chunked(200, HeaderFields.EMPTY,
                List.of("hel".getBytes(), "lo".getBytes()), HeaderFields.of("X-Checksum", "abc")));
             TestProxy proxy = ProxyConfig.to(up).start();
             RawClient c = proxy.client()) {
            c.send("POST /ext HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "3;name=value;flag\r\nabc\r\n2 ; x=\"y\"\r\nde\r\n0\r\nX-Trailer: t1\r\nX-Other: t2\r\n\r\n");
            RawResponse r = c.readResponse();
            assertEquals("hello", r.bodyString());
            RecordedRequest seen = up.takeRequest(WAIT);
            assertEquals("abcde", seen.body().utf8());
            assertEquals(200, c.get("/next").status(), "trailers on both sides left nothing behind");
            assertEquals("/next", up.takeRequest(WAIT).target());
        }
    }

    @Test
    void upstreamAnsweringBeforeAStreamedBodyEndsIsRelayedAndTheConnectionClosed() throws Exception {
        // An app may reject an upload before reading it; the client must still get the answer.
        try (ServerSocket upstream = new ServerSocket(0, 8, Loopback.ADDRESS);
             TestProxy proxy = new ProxyConfig().upstream("raw", upstream.getLocalPort(), 1)
                     .buffering(false, false).start();
             RawClient c = proxy.client()) {
            upstream.setSoTimeout((int) WAIT.toMillis());
            c.send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n0123456789");
            try (Socket s = upstream.accept()) {
                WireIo.readHead(s.getInputStream()); // and not one byte of the body
                s.getOutputStream().write("HTTP/1.1 403 Forbidden\r\nContent-Length: 6\r\n\r\ndenied"
                        .getBytes(StandardCharsets.US_ASCII));
                RawResponse r = c.readResponse();
                assertEquals(403, r.status());
                assertEquals("denied", r.bodyString());
                // The request was never finished, so the connection cannot carry another one.
                assertEquals("close", r.header("Connection"), r.rawHeadString());
                assertEquals(RawClient.Closure.EOF, c.awaitClose());
            }
        }
    }

    @Test
    void headAnd204And304CarryNoBodyAndTheConnectionStaysInStep() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a", r -> switch (r.target()) {
                case "/204" -> Action.respond(204, HeaderFields.of("X-A", "1"), new byte[0]);
                case "/304" -> Action.respond(304, HeaderFields.of("ETag", "\"v1\"", "Content-Length", "1234"),
                        new byte[0]);
                default -> Action.respond(200, HeaderFields.of("Content-Type", "text/plain"), new byte[1234]);
             });
             TestProxy proxy = ProxyConfig.to(up).start();
             RawClient c = proxy.client()) {
            RawResponse head = c.exchange("HEAD /head HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(200, head.status());
            assertEquals("1234", head.header("Content-Length"), head.rawHeadString());
            assertNull(head.header("Transfer-Encoding"));

            RawResponse noContent = c.get("/204");
            assertEquals(204, noContent.status());
            assertNull(noContent.header("Content-Length"), noContent.rawHeadString());
            assertNull(noContent.header("Transfer-Encoding"), noContent.rawHeadString());

            RawResponse notModified = c.get("/304");
            assertEquals(304, notModified.status());
            assertNull(notModified.header("Transfer-Encoding"), notModified.rawHeadString());

            // Had any of them carried body bytes, this response would be read out of step.
            RawResponse after = c.get("/after");
            assertEquals(200, after.status());
            assertEquals(1234, after.body().length());
            c.readTimeout(Duration.ofMillis(200));
            assertEquals(RawClient.Closure.TIMED_OUT, c.awaitClose(), "no stray bytes after the last response");
        }
    }

    @Test
    void expect100ContinueGetsContinueBeforeTheBodyIsSent() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a", r -> Action.ok("got " + r.body().utf8()));
             TestProxy proxy = ProxyConfig.to(up).start();
             RawClient c = proxy.client()) {
            c.send("POST /upload HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
            RawResponse interim = c.readResponse();
            assertEquals(100, interim.status());
            assertEquals(0, up.connectionsAccepted(), "nothing goes upstream before the body");
            c.send("hello");
            RawResponse r = c.readResponse();
            assertEquals(200, r.status());
            assertEquals("got hello", r.bodyString());
            RecordedRequest seen = up.takeRequest(WAIT);
            assertNull(seen.header("Expect"), "Kodiak answered the expectation itself");
        }
    }

    @Test
    void declaredBodyOverTheLimitGets413WithoutContinueAndTheConnectionClosed() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             TestProxy proxy = ProxyConfig.to(up).maxRequestBody(1000).start();
             RawClient c = proxy.client()) {
            c.send("POST /big HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 1001\r\n\r\n");
            RawResponse r = c.readResponse();
            assertEquals(413, r.status());
            assertEquals("close", r.header("Connection"));
            assertEquals(RawClient.Closure.EOF, c.awaitClose());
            assertEquals(0, up.connectionsAccepted());
        }
    }

    @ParameterizedTest(name = "request buffering {0}")
    @ValueSource(booleans = {true, false})
    void chunkedBodyGrowingOverTheLimitGets413AndTheConnectionClosed(boolean buffering) throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             TestProxy proxy = ProxyConfig.to(up).buffering(buffering, true).maxRequestBody(1000).start();
             RawClient c = proxy.client()) {
            c.send("POST /big HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "258\r\n" + "x".repeat(600) + "\r\n");
            if (!buffering) {
                // Streaming: the upstream is already connected and reading when the limit is crossed.
                up.await("request head upstream", () -> up.requestsInProgress() == 1, WAIT);
            }
            c.send("258\r\n" + "y".repeat(600) + "\r\n");
            RawResponse r = c.readResponse();
            assertEquals(413, r.status());
            assertEquals(RawClient.Closure.EOF, c.awaitClose());
            if (buffering) {
                assertEquals(0, up.connectionsAccepted());
            }
            // Streaming had already opened the upstream connection: it must not be left hanging.
            up.await("upstream connection closed", () -> up.openConnections() == 0, WAIT);
            assertEquals(0, up.requestsReceived(), "the upstream never gets a complete request");
            assertFalse(up.requests().stream().anyMatch(q -> q.body().length() > 1000));
        }
    }
}
