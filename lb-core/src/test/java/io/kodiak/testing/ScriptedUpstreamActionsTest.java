package io.kodiak.testing;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.EOFException;
import java.io.IOException;
import java.net.ProtocolException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every {@link Action}, observed byte for byte through a {@link RawClient}. */
@Timeout(60)
class ScriptedUpstreamActionsTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String GET = "GET /x HTTP/1.1\r\nHost: t\r\n\r\n";

    private ScriptedUpstream upstream;

    @AfterEach
    void tearDown() {
        if (upstream != null) {
            upstream.close();
            assertEquals(List.of(), upstream.errors());
        }
    }

    private RawClient clientFor(Function<RecordedRequest, Action> handler) throws IOException {
        upstream = ScriptedUpstream.start("u", handler);
        return RawClient.connect(upstream.port());
    }

    @Test
    void defaultResponseNamesUpstreamAndEchoesRequest() throws Exception {
        upstream = ScriptedUpstream.start("alpha");
        try (RawClient c = RawClient.connect(upstream.port())) {
            RawResponse r = c.exchange("GET /hello?q=1 HTTP/1.1\r\nHost: t\r\nX-Dup: 1\r\nx-dup: 2\r\n\r\n");
            assertEquals(200, r.status());
            assertEquals("OK", r.reason());
            assertEquals("alpha GET /hello?q=1", r.bodyString());
            assertEquals("alpha", r.header("X-Upstream"));
            assertEquals(BodyFraming.CONTENT_LENGTH, r.framing());
        }
        RecordedRequest seen = upstream.takeRequest(WAIT);
        assertEquals(1, seen.connectionId());
        assertEquals("/hello", seen.path());
        assertEquals(List.of("1", "2"), seen.headers().values("X-DUP"));
        assertEquals("x-dup", seen.headers().all().get(2).name());
        assertEquals("GET /hello?q=1 HTTP/1.1\r\nHost: t\r\nX-Dup: 1\r\nx-dup: 2\r\n\r\n", seen.rawHeadString());
        assertEquals(BodyFraming.NONE, seen.framing());
    }

    @Test
    void contentLengthResponseToHeadHasNoBodyAndConnectionIsReused() throws Exception {
        try (RawClient c = clientFor(req -> Action.ok("twelve bytes"))) {
            RawResponse head = c.exchange("HEAD / HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals("12", head.header("Content-Length"));
            assertEquals(0, head.body().length());
            assertEquals(BodyFraming.NONE, head.framing());
            assertEquals("twelve bytes", c.exchange(GET).bodyString());
        }
        assertEquals(1, upstream.connectionsAccepted());
        assertEquals(1, upstream.requests().get(1).indexOnConnection());
    }

    @Test
    void noContentAndNotModifiedCarryNoBodyOrLength() throws Exception {
        try (RawClient c = clientFor(req -> Action.respond(req.path().equals("/204") ? 204 : 304,
                HeaderFields.EMPTY, new byte[0]))) {
            RawResponse r204 = c.exchange("GET /204 HTTP/1.1\r\nHost: t\r\n\r\n");
            RawResponse r304 = c.exchange("GET /304 HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(204, r204.status());
            assertEquals(304, r304.status());
            assertNull(r204.header("Content-Length"));
            assertEquals(BodyFraming.NONE, r304.framing());
        }
    }

    @Test
    void chunkedResponseWithTrailers() throws Exception {
        List<byte[]> chunks = List.of(bytes("hello "), bytes(""), bytes("chunked world"));
        try (RawClient c = clientFor(req -> Action.chunked(200, HeaderFields.of("X-A", "1"), chunks,
                HeaderFields.of("X-Checksum", "abc")))) {
            RawResponse r = c.exchange(GET);
            assertEquals(BodyFraming.CHUNKED, r.framing());
            assertEquals("chunked", r.header("Transfer-Encoding"));
            assertEquals("hello chunked world", r.bodyString());
            assertEquals("abc", r.trailers().first("X-Checksum"));
            assertEquals(200, c.exchange(GET).status()); // still usable
        }
    }

    @Test
    void closeDelimitedResponseEndsWithTheConnection() throws Exception {
        try (RawClient c = clientFor(req -> Action.closeDelimited(200, HeaderFields.of("X-A", "1"), bytes("till close")))) {
            RawResponse r = c.exchange(GET);
            assertEquals("HTTP/1.0", r.version());
            assertEquals(BodyFraming.CLOSE_DELIMITED, r.framing());
            assertEquals("till close", r.bodyString());
            assertEquals(RawClient.Closure.EOF, c.awaitClose());
        }
    }

    @Test
    void rawBytesGoOutVerbatim() throws Exception {
        try (RawClient c = clientFor(req -> req.path().equals("/bad")
                ? Action.raw("HTTP/1.1 2x0 Nope\r\n\r\n")
                : Action.raw("HTTP/1.1 299 Custom\r\nContent-Length: 2\r\nX-Y:  spaced  \r\n\r\nhi"))) {
            RawResponse r = c.exchange(GET);
            assertEquals(299, r.status());
            assertEquals("Custom", r.reason());
            assertEquals("spaced", r.header("X-Y"));
            assertEquals("HTTP/1.1 299 Custom\r\nContent-Length: 2\r\nX-Y:  spaced  \r\n\r\n", r.rawHeadString());
            assertEquals("hi", r.bodyString());
            c.send("GET /bad HTTP/1.1\r\nHost: t\r\n\r\n");
            assertThrows(ProtocolException.class, c::readResponse);
        }
    }

    @Test
    void stallSendsNothingAndIsCancelledByClose() throws Exception {
        try (RawClient c = clientFor(req -> Action.stall(Duration.ofHours(1)).then(Action.ok("late")))) {
            c.readTimeout(Duration.ofMillis(200));
            c.send(GET);
            assertThrows(SocketTimeoutException.class, c::readResponse);
            upstream.await("stalling", () -> upstream.requestsInProgress() == 1, WAIT);
            upstream.close(); // returns only once the stalled thread ended, long before an hour
            c.readTimeout(WAIT);
            RawClient.Closure end = c.awaitClose();
            assertTrue(end == RawClient.Closure.EOF || end == RawClient.Closure.RESET, end.toString());
        }
    }

    @Test
    void delayedResponseArrivesAfterTheStall() throws Exception {
        try (RawClient c = clientFor(req -> Action.stall(Duration.ofMillis(50)).then(Action.ok("late")))) {
            assertEquals("late", c.exchange(GET).bodyString());
        }
    }

    @Test
    void closeWithoutResponseIsAnOrderlyEof() throws Exception {
        try (RawClient c = clientFor(req -> Action.close())) {
            c.send(GET);
            assertThrows(EOFException.class, c::readResponse);
        }
        upstream.await("all closed", () -> upstream.openConnections() == 0, WAIT);
    }

    @Test
    void resetAbortsTheConnection() throws Exception {
        try (RawClient c = clientFor(req -> Action.reset())) {
            c.send(GET);
            assertEquals(RawClient.Closure.RESET, c.awaitClose());
        }
    }

    @Test
    void extraBytesAfterTheResponseAreVisible() throws Exception {
        try (RawClient c = clientFor(req -> Action.ok("ok").then(Action.raw("GARBAGE\r\n\r\n")))) {
            assertEquals("ok", c.exchange(GET).bodyString());
            assertEquals(RawClient.Closure.DATA, c.awaitClose());
            assertThrows(ProtocolException.class, c::readResponse); // "GARBAGE" is no status line...
        }
    }

    @Test
    void unframedStreamAfterTheResponseArrivesIntact() throws Exception {
        long length = 3L << 20;
        try (RawClient c = clientFor(req -> Action.ok("ok").then(Action.rawStream(length, 4)).thenClose())) {
            assertEquals("ok", c.exchange(GET).bodyString());
            CapturedBody rest = c.readRawToEof();
            assertEquals(length, rest.length());
            assertEquals(DeterministicBytes.of(4).sha256Hex(length), rest.sha256());
        }
    }

    @Test
    void thenCloseClosesSilentlyAfterTheResponse() throws Exception {
        try (RawClient c = clientFor(req -> Action.ok("bye").thenClose())) {
            RawResponse r = c.exchange(GET);
            assertEquals("bye", r.bodyString());
            assertNull(r.header("Connection"));
            assertEquals(RawClient.Closure.EOF, c.awaitClose());
        }
    }

    @Test
    void connectionCloseFromEitherSideClosesAfterTheResponse() throws Exception {
        try (RawClient c = clientFor(req -> Action.ok("a"))) {
            assertEquals("a", c.exchange("GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").bodyString());
            assertEquals(RawClient.Closure.EOF, c.awaitClose());
        }
        upstream.handler(req -> Action.respond(200, HeaderFields.of("Connection", "close"), bytes("b")));
        try (RawClient c = RawClient.connect(upstream.port())) {
            assertEquals("b", c.exchange(GET).bodyString());
            assertEquals(RawClient.Closure.EOF, c.awaitClose());
        }
    }

    @Test
    void streamedBodiesMatchTheGeneratorWithoutBeingHeld() throws Exception {
        long length = 20_000_003; // not a multiple of the 64 KiB block
        String expected = DeterministicBytes.of(7).sha256Hex(length);
        try (RawClient c = clientFor(req -> Action.streamBody(200, length, 7, req.path().equals("/chunked")))) {
            RawResponse plain = c.exchange(GET);
            assertEquals(BodyFraming.CONTENT_LENGTH, plain.framing());
            assertEquals(length, plain.body().length());
            assertEquals(expected, plain.body().sha256());
            assertFalse(plain.body().isCaptured());
            RawResponse chunked = c.exchange("GET /chunked HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(BodyFraming.CHUNKED, chunked.framing());
            assertEquals(expected, chunked.body().sha256());
        }
    }

    @Test
    void smallStreamedBodyIsCapturedInFull() throws Exception {
        try (RawClient c = clientFor(req -> Action.streamBody(200, 100_000, 3, false))) {
            assertArrayEquals(DeterministicBytes.of(3).bytes(100_000), c.exchange(GET).body().bytes());
        }
    }

    @Test
    void malformedRequestGets400AndIsReported() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("u"); RawClient c = RawClient.connect(up.port())) {
            RawResponse r = c.exchange("GET /x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n");
            assertEquals(400, r.status());
            assertEquals(RawClient.Closure.EOF, c.awaitClose());
            assertEquals(1, up.errors().size(), up.errors().toString());
        }
    }

    @Test
    void handlerExceptionGets500AndIsReported() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("u", req -> {
            throw new IllegalStateException("boom");
        }); RawClient c = RawClient.connect(up.port())) {
            assertEquals(500, c.exchange(GET).status());
            assertTrue(up.errors().get(0).contains("boom"), up.errors().toString());
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
