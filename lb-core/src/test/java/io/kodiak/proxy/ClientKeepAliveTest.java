package io.kodiak.proxy;

import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.testing.ScriptedUpstream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Client keep-alive and pipelining over one connection. */
@Timeout(30)
class ClientKeepAliveTest {

    @Test
    void pipelinedRequestsInOneWriteAreAnsweredInOrder() throws Exception {
        try (ScriptedUpstream a = ScriptedUpstream.start("a");
             ScriptedUpstream b = ScriptedUpstream.start("b");
             TestProxy proxy = ProxyConfig.to(a, b).start();
             RawClient c = proxy.client()) {
            StringBuilder batch = new StringBuilder();
            for (int i = 0; i < 8; i++) {
                batch.append("GET /p").append(i).append(" HTTP/1.1\r\nHost: t\r\n\r\n");
            }
            c.send(batch.toString());
            List<RawResponse> responses = c.readResponses(8);
            for (int i = 0; i < 8; i++) {
                RawResponse r = responses.get(i);
                assertEquals(200, r.status());
                assertEquals(r.header("X-Upstream") + " GET /p" + i, r.bodyString());
            }
            assertEquals(200, c.get("/after").status()); // still usable
        }
    }

    @Test
    void pipelinedRequestsWithBodiesAndHeadStayInOrder() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a", r -> io.kodiak.testing.Action.ok(
                r.method() + " " + r.target() + " [" + r.body().utf8() + "]"));
             TestProxy proxy = ProxyConfig.to(up).start();
             RawClient c = proxy.client()) {
            c.send("POST /1 HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello"
                    + "HEAD /2 HTTP/1.1\r\nHost: t\r\n\r\n"
                    + "POST /3 HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
                    + "GET /4 HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals("POST /1 [hello]", c.readResponse().bodyString());
            RawResponse head = c.readResponse("HEAD");
            assertEquals(200, head.status());
            assertEquals(String.valueOf("HEAD /2 []".length()), head.header("Content-Length"));
            assertEquals("POST /3 [abcde]", c.readResponse().bodyString());
            assertEquals("GET /4 []", c.readResponse().bodyString());
        }
    }

    @Test
    void pipelineLargerThanThePendingBoundIsReadInPiecesAndAnsweredInOrder() throws Exception {
        int count = 1500; // about 110 KiB of requests: Kodiak must stop reading and resume
        ExecutorService writer = Executors.newSingleThreadExecutor();
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             TestProxy proxy = ProxyConfig.to(up).start();
             RawClient c = proxy.client()) {
            StringBuilder batch = new StringBuilder();
            for (int i = 0; i < count; i++) {
                batch.append("GET /pipelined/").append(i).append(" HTTP/1.1\r\nHost: t\r\nX-Pad: ")
                        .append("p".repeat(30)).append("\r\n\r\n");
            }
            // Written from another thread: while Kodiak holds back, the write may block until we read.
            Future<?> sent = writer.submit(() -> {
                c.send(batch.toString());
                return null;
            });
            for (int i = 0; i < count; i++) {
                assertEquals("a GET /pipelined/" + i, c.readResponse().bodyString());
            }
            sent.get(10, TimeUnit.SECONDS);
        } finally {
            writer.shutdownNow();
        }
    }

    @Test
    void keepAliveConnectionCarriesManyRequestsAndCloseEndsIt() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             TestProxy proxy = ProxyConfig.to(up).start();
             RawClient c = proxy.client()) {
            for (int i = 0; i < 20; i++) {
                RawResponse r = c.get("/k" + i);
                assertEquals(200, r.status());
                assertNull(r.header("Connection"), r.rawHeadString());
            }
            RawResponse last = c.exchange("GET /bye HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
            assertEquals(200, last.status());
            assertEquals("close", last.header("Connection"));
            assertEquals(RawClient.Closure.EOF, c.awaitClose());
        }
    }

    @Test
    void http10ClientWithoutKeepAliveIsClosedAfterTheResponse() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             TestProxy proxy = ProxyConfig.to(up).start();
             RawClient c = proxy.client()) {
            RawResponse r = c.exchange("GET /old HTTP/1.0\r\n\r\n");
            assertEquals(200, r.status());
            assertEquals(RawClient.Closure.EOF, c.awaitClose());
        }
    }

    @Test
    void http10ClientAskingForKeepAliveGetsIt() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             TestProxy proxy = ProxyConfig.to(up).start();
             RawClient c = proxy.client()) {
            for (int i = 0; i < 3; i++) {
                RawResponse r = c.exchange("GET /old" + i + " HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
                assertEquals(200, r.status());
                assertEquals("keep-alive", r.header("Connection"));
                assertEquals("a GET /old" + i, r.bodyString());
            }
        }
    }
}
