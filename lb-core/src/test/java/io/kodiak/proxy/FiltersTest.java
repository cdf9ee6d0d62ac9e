package io.kodiak.proxy;

import io.kodiak.accesslog.AccessLogEntry;
import io.kodiak.accesslog.Termination;
import io.kodiak.config.ConfigLoader;
import io.kodiak.filter.BodyTransform;
import io.kodiak.filter.Filters;
import io.kodiak.filter.LogFilter;
import io.kodiak.filter.RequestFilter;
import io.kodiak.filter.ResponseFilter;
import io.kodiak.http.FieldEdits;
import io.kodiak.testing.Action;
import io.kodiak.testing.BodyFraming;
import io.kodiak.testing.HeaderFields;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.testing.RecordedRequest;
import io.kodiak.testing.ScriptedUpstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The filter interfaces over real sockets: what a request filter, a response filter and a log
 * filter can do, in which order listener and route filters run, and that a failing filter costs
 * its request an error answer, never the connection's other requests.
 */
@Timeout(60)
class FiltersTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private ScriptedUpstream api;
    private ScriptedUpstream web;
    private ProxyServer server;

    @BeforeEach
    void start(@TempDir Path dir) throws Exception {
        api = ScriptedUpstream.start("api");
        web = ScriptedUpstream.start("web");
        Path file = dir.resolve("kodiak.yaml");
        Files.writeString(file, "admin: {listen: off, state-file: off}\nmetrics: off\n"
                + "listeners:\n  - name: front\n    address: 127.0.0.1:0\n"
                + "    routes: [{path-prefix: /api/, pool: api}, {pool: web}]\n"
                + "pools:\n"
                + "  api: {health-check: {type: none}, upstreams: [{name: api, address: \"" + api.hostPort() + "\"}]}\n"
                + "  web: {health-check: {type: none}, upstreams: [{name: web, address: \"" + web.hostPort() + "\"}]}\n");
        server = ProxyServer.start(ConfigLoader.load(file));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        api.close();
        web.close();
    }

    private RawClient client() throws Exception {
        return RawClient.connect(server.boundAddress("front").getPort());
    }

    private static Filters request(RequestFilter... f) {
        return new Filters(f, new ResponseFilter[0], new LogFilter[0]);
    }

    private static Filters response(ResponseFilter... f) {
        return new Filters(new RequestFilter[0], f, new LogFilter[0]);
    }

    @Test
    void aRequestFilterEditsTheFieldsSentUpstream() throws Exception {
        server.filters("front", request(r -> {
            r.upstreamFields().set("X-Env", "prod").remove("X-Debug").add("X-Seen-By", r.clientAddress());
            return RequestFilter.Verdict.CONTINUE;
        }));
        RawClient c = client();
        c.send("GET /page HTTP/1.1\r\nHost: t\r\nX-Env: dev\r\nX-Debug: 1\r\n\r\n");
        assertEquals(200, c.readResponse().status());
        RecordedRequest seen = web.takeRequest(WAIT);
        assertEquals("prod", seen.header("X-Env"));
        assertNull(seen.header("X-Debug"));
        assertEquals("127.0.0.1", seen.header("X-Seen-By"));
        assertFalse(seen.rawHeadString().contains("X-Env: dev"), seen.rawHeadString());
    }

    @Test
    void aRequestFilterAnswersWithoutAnUpstreamAndTheConnectionStaysUsable() throws Exception {
        LinkedBlockingQueue<AccessLogEntry> log = new LinkedBlockingQueue<>();
        server.filters("front", new Filters(new RequestFilter[] {r -> {
            if (!r.head().path().equals("/health")) {
                return RequestFilter.Verdict.CONTINUE;
            }
            r.respond(200, "text/plain", "up\n".getBytes(StandardCharsets.US_ASCII),
                    new FieldEdits().add("Cache-Control", "no-store"));
            return RequestFilter.Verdict.RESPONDED;
        }}, new ResponseFilter[0], new LogFilter[] {log::add}));
        RawClient c = client();
        c.send("GET /health HTTP/1.1\r\nHost: t\r\n\r\n");
        RawResponse r = c.readResponse();
        assertEquals(200, r.status());
        assertEquals("up\n", r.bodyString());
        assertEquals("no-store", r.header("Cache-Control"));
        assertEquals(0, web.requestsReceived() + api.requestsReceived(), "no upstream asked");
        AccessLogEntry e = log.poll(10, TimeUnit.SECONDS);
        assertNotNull(e);
        assertEquals(Termination.LOCAL_ANSWER, e.termination());
        assertEquals(200, e.status());

        c.send("GET /other HTTP/1.1\r\nHost: t\r\n\r\n");
        assertEquals(200, c.readResponse().status());
        assertEquals(1, web.requestsReceived());
    }

    @Test
    void aRequestFilterSendsTheRequestToAnotherPool() throws Exception {
        List<Boolean> unknown = new CopyOnWriteArrayList<>();
        server.filters("front", request(r -> {
            unknown.add(r.usePool("no-such-pool"));
            if (r.head().fields().get("x-beta") != null) {
                assertEquals("web", r.pool());
                assertTrue(r.usePool("api"));
            }
            return RequestFilter.Verdict.CONTINUE;
        }));
        RawClient c = client();
        c.send("GET /page HTTP/1.1\r\nHost: t\r\nX-Beta: 1\r\n\r\n");
        assertEquals(200, c.readResponse().status());
        assertEquals(1, api.requestsReceived());
        assertEquals(0, web.requestsReceived());
        assertEquals(List.of(false), unknown, "an unknown pool changes nothing");
    }

    @Test
    void listenerFiltersRunBeforeRouteFiltersAndTheFirstAnswerEndsThePhase() throws Exception {
        List<String> order = new CopyOnWriteArrayList<>();
        server.filters("front", request(r -> {
            order.add("listener");
            return RequestFilter.Verdict.CONTINUE;
        }));
        server.routeFilters("front", 0, request(r -> {
            order.add("api route");
            r.respond(403, "text/plain", new byte[0], null);
            return RequestFilter.Verdict.RESPONDED;
        }, r -> {
            order.add("never");
            return RequestFilter.Verdict.CONTINUE;
        }));
        RawClient c = client();
        c.send("GET /api/x HTTP/1.1\r\nHost: t\r\n\r\n");
        assertEquals(403, c.readResponse().status());
        assertEquals(List.of("listener", "api route"), order);
        order.clear();
        c.send("GET /web HTTP/1.1\r\nHost: t\r\n\r\n");
        assertEquals(200, c.readResponse().status());
        assertEquals(List.of("listener"), order, "the other route has no filters");
    }

    @Test
    void aResponseFilterEditsTheClientFields() throws Exception {
        web.handler(r -> Action.respond(200, HeaderFields.of("X-Powered-By", "Django", "Content-Type", "text/plain"),
                "hi".getBytes(StandardCharsets.US_ASCII)));
        server.filters("front", response(r -> {
            r.clientFields().remove("X-Powered-By").set("Strict-Transport-Security", "max-age=63072000");
            return null;
        }));
        RawClient c = client();
        c.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
        RawResponse r = c.readResponse();
        assertNull(r.header("X-Powered-By"));
        assertEquals("max-age=63072000", r.header("Strict-Transport-Security"));
        assertEquals("2", r.header("Content-Length"), "an untransformed body keeps its length");
        assertEquals("hi", r.bodyString());
    }

    /** Upper-cases ASCII as it streams: a transform that changes bytes but never buffers the body. */
    private static final class Upper implements BodyTransform {
        @Override
        public ByteBuffer apply(ByteBuffer in) {
            ByteBuffer out = ByteBuffer.allocate(in.remaining());
            while (in.hasRemaining()) {
                byte b = in.get();
                out.put(b >= 'a' && b <= 'z' ? (byte) (b - 32) : b);
            }
            return out.flip();
        }

        @Override
        public ByteBuffer finish() {
            return ByteBuffer.wrap("!".getBytes(StandardCharsets.US_ASCII));
        }
    }

    @Test
    void aResponseFilterRewritesTheBodyAsAStream() throws Exception {
        long size = 3L << 20; // several reads and spool pieces
        String chunk = "abcdefghij".repeat(100);
        web.handler(r -> Action.chunked(200, HeaderFields.of("Content-Type", "text/plain"),
                java.util.Collections.nCopies((int) (size / chunk.length()), chunk.getBytes(StandardCharsets.US_ASCII))));
        server.filters("front", response(r -> r.hasBody() ? new Upper() : null));
        RawClient c = client();
        c.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
        RawResponse r = c.readResponse();
        assertEquals(BodyFraming.CHUNKED, r.framing());
        String body = r.bodyString();
        assertEquals(chunk.toUpperCase().repeat((int) (size / chunk.length())) + "!", body);
        // Keep-alive survives a transformed body.
        c.send("HEAD / HTTP/1.1\r\nHost: t\r\n\r\n");
        assertEquals(200, c.readResponse("HEAD").status());
    }

    @Test
    void aTransformedBodyWithALengthGoesChunkedOrToTheCloseForHttp10() throws Exception {
        web.handler(r -> Action.ok("hello"));
        server.filters("front", response(r -> r.hasBody() ? new Upper() : null));
        RawClient c = client();
        c.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
        RawResponse r = c.readResponse();
        assertNull(r.header("Content-Length"));
        assertEquals("HELLO!", r.bodyString());

        RawClient old = client();
        old.send("GET / HTTP/1.0\r\nHost: t\r\n\r\n");
        RawResponse r10 = old.readResponse();
        assertEquals(BodyFraming.CLOSE_DELIMITED, r10.framing());
        assertEquals("HELLO!", r10.bodyString());
    }

    @Test
    void aFilterThatThrowsCostsItsRequestA500NotTheConnection() throws Exception {
        server.filters("front", request(r -> {
            if (r.head().path().equals("/boom")) {
                throw new IllegalStateException("filter bug");
            }
            return RequestFilter.Verdict.CONTINUE;
        }));
        RawClient c = client();
        c.send("GET /boom HTTP/1.1\r\nHost: t\r\n\r\n");
        assertEquals(500, c.readResponse().status());
        c.send("GET /fine HTTP/1.1\r\nHost: t\r\n\r\n");
        assertEquals(200, c.readResponse().status());
    }

    @Test
    void aResponseFilterThatThrowsIsA502AndTheNextRequestIsServed() throws Exception {
        server.filters("front", response(r -> {
            if (r.request().path().equals("/boom")) {
                throw new IllegalStateException("filter bug");
            }
            return null;
        }));
        RawClient c = client();
        c.send("GET /boom HTTP/1.1\r\nHost: t\r\n\r\n");
        assertEquals(502, c.readResponse().status());
        c.send("GET /fine HTTP/1.1\r\nHost: t\r\n\r\n");
        assertEquals(200, c.readResponse().status());
    }

    @Test
    void aBodyTransformThatThrowsCutsItsResponseOnly() throws Exception {
        LinkedBlockingQueue<AccessLogEntry> log = new LinkedBlockingQueue<>();
        web.handler(r -> Action.ok("hello"));
        server.filters("front", new Filters(new RequestFilter[0], new ResponseFilter[] {r -> new BodyTransform() {
            @Override
            public ByteBuffer apply(ByteBuffer in) {
                throw new IllegalStateException("transform bug");
            }

            @Override
            public ByteBuffer finish() {
                return null;
            }
        }}, new LogFilter[] {log::add}));
        RawClient c = client();
        c.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
        assertThrows(java.io.IOException.class, c::readResponse, "the response is cut, never completed");
        AccessLogEntry e = log.poll(10, TimeUnit.SECONDS);
        assertNotNull(e);
        assertEquals(Termination.LOCAL_ANSWER, e.termination());
        server.filters("front", Filters.NONE);
        RawClient next = client();
        next.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
        assertEquals("hello", next.readResponse().bodyString());
    }

    @Test
    void editsOfDateServerAndHostNeverDoubleAField() throws Exception {
        server.filters("front", new Filters(new RequestFilter[] {r -> {
            r.upstreamFields().add("Host", "internal.example:8080");
            return RequestFilter.Verdict.CONTINUE;
        }}, new ResponseFilter[] {r -> {
            r.clientFields().set("Date", "Thu, 01 Jan 2026 00:00:00 GMT");
            return null;
        }}, new LogFilter[0]));
        RawClient c = client();
        c.send("GET / HTTP/1.1\r\nHost: public.example\r\n\r\n");
        RawResponse r = c.readResponse();
        assertEquals(List.of("Thu, 01 Jan 2026 00:00:00 GMT"), r.headers().values("Date"));
        RecordedRequest seen = web.takeRequest(WAIT);
        assertEquals(List.of("internal.example:8080"), seen.headers().values("Host"), seen.rawHeadString());
        assertThrows(IllegalArgumentException.class, () -> new FieldEdits().set("Host", "a\";for=evil"));
    }

    @Test
    void fieldEditsRefuseFramingAndFieldSplitting() {
        FieldEdits e = new FieldEdits();
        assertThrows(IllegalArgumentException.class, () -> e.set("Content-Length", "1"));
        assertThrows(IllegalArgumentException.class, () -> e.add("Transfer-Encoding", "chunked"));
        assertThrows(IllegalArgumentException.class, () -> e.add("X-A", "1\r\nX-Injected: 2"));
        assertThrows(IllegalArgumentException.class, () -> e.add("Bad Name", "1"));
        assertTrue(e.isEmpty());
    }
}
