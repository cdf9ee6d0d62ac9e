package io.kodiak.proxy;

import io.kodiak.testing.Action;
import io.kodiak.testing.DeterministicBytes;
import io.kodiak.testing.Loopback;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.testing.RecordedRequest;
import io.kodiak.testing.ScriptedUpstream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** WebSocket upgrade: the upstream's 101 reaches the client, then bytes flow both ways through a tunnel. */
@Timeout(30)
class WebSocketTest {
    private static final int TIMEOUT_MS = 10_000;
    private static final String UPGRADE = "GET /chat?room=1 HTTP/1.1\r\nHost: t\r\nConnection: keep-alive, Upgrade\r\n"
            + "Upgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    private static final String SWITCH = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
    private static final String HELLO = "server-hello";

    @Test
    void upgradeGetsThe101AndBytesFlowBothWaysUntilClosed() throws Exception {
        long size = 4L << 20; // more than the tunnel's high-water marks: backpressure in both directions
        ExecutorService threads = Executors.newFixedThreadPool(2); // echo and writer block: own threads
        try (ServerSocket listener = new ServerSocket(0, 8, Loopback.ADDRESS);
             TestProxy proxy = new ProxyConfig().upstream("ws", listener.getLocalPort(), 1).start();
             Socket client = new Socket()) {
            listener.setSoTimeout(TIMEOUT_MS);
            CompletableFuture<String> upstreamHead = new CompletableFuture<>();
            CompletableFuture<Long> echoed = CompletableFuture.supplyAsync(() -> echo(listener, upstreamHead), threads);

            client.setSoTimeout(TIMEOUT_MS);
            client.connect(Loopback.at(proxy.port()), TIMEOUT_MS);
            OutputStream out = client.getOutputStream();
            out.write(UPGRADE.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = new BufferedInputStream(client.getInputStream());

            String head = WireIo.readHead(in);
            assertTrue(head.startsWith("HTTP/1.1 101 "), head);
            assertTrue(head.contains("\r\nUpgrade: websocket\r\n"), head);
            assertTrue(head.toLowerCase().contains("\r\nconnection: upgrade\r\n"), head);
            assertTrue(head.contains("\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"), head);
            assertEquals(HELLO, new String(in.readNBytes(HELLO.length()), StandardCharsets.US_ASCII));

            String seen = upstreamHead.get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
            assertTrue(seen.startsWith("GET /chat?room=1 HTTP/1.1\r\n"), seen);
            assertTrue(seen.contains("\r\nUpgrade: websocket\r\n"), seen);
            assertTrue(seen.toLowerCase().contains("\r\nconnection: upgrade\r\n"), seen);
            assertTrue(seen.contains("\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"), seen);

            // Client to upstream and back at once, from a second thread, so neither side's buffers can fill up.
            CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> {
                try {
                    DeterministicBytes.of(23).writeTo(out, size);
                    out.flush();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, threads);
            assertEquals(DeterministicBytes.of(23).sha256Hex(size), WireIo.sha256(in, size));
            sent.get(TIMEOUT_MS, TimeUnit.MILLISECONDS);

            client.shutdownOutput(); // the client ends the session: the close must travel through the tunnel
            assertEquals(size, echoed.get(TIMEOUT_MS, TimeUnit.MILLISECONDS));
            assertEquals(-1, in.read(), "the tunnel closed towards the client too");
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void upgradeRefusedByTheUpstreamIsAnOrdinaryResponse() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a", r -> r.target().startsWith("/chat")
                ? Action.respond(403, "no websockets here") : Action.ok("plain"));
             TestProxy proxy = ProxyConfig.to(up).start();
             RawClient c = proxy.client()) {
            RawResponse r = c.exchange(UPGRADE);
            assertEquals(403, r.status());
            assertEquals("no websockets here", r.bodyString());
            assertEquals("plain", c.get("/next").bodyString(), "the connection goes on as HTTP");
        }
    }

    @Test
    void onlyTheWebSocketTokenGoesUpstreamAndHttp2SettingsNever() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a", r -> Action.respond(426, "no"));
             TestProxy proxy = ProxyConfig.to(up).start();
             RawClient c = proxy.client()) {
            String h2c = "GET /chat HTTP/1.1\r\nHost: t\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                    + "Upgrade: websocket, h2c\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
            assertEquals(426, c.exchange(h2c).status());
            RecordedRequest seen = up.takeRequest(Duration.ofSeconds(5));
            assertEquals(List.of("websocket"), seen.headers().values("Upgrade"), seen.rawHeadString());
            assertEquals(null, seen.header("HTTP2-Settings"), seen.rawHeadString());
        }
    }

    @Test
    void a101ToAnotherProtocolIsA502AndNeverATunnel() throws Exception {
        // An h2c-capable origin that switches whatever it was asked: its HTTP/2 stream through the
        // tunnel could reach any path, bypassing Kodiak's routes.
        for (String upgrade : List.of("h2c", "websocket, h2c", "h2c, websocket")) {
            try (ScriptedUpstream up = ScriptedUpstream.start("a", r -> Action.raw(
                    "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: " + upgrade + "\r\n\r\n"
                            + "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"));
                 TestProxy proxy = ProxyConfig.to(up).start();
                 RawClient c = proxy.client()) {
                RawResponse r = c.exchange(UPGRADE);
                assertEquals(502, r.status(), upgrade + ": " + r.rawHeadString());
                assertTrue(!r.bodyString().contains("PRI"), upgrade);
            }
        }
    }

    @Test
    void aSecondUpgradeFieldIn101IsA502() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a", r -> Action.raw(
                "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nUpgrade: h2c\r\n\r\n"));
             TestProxy proxy = ProxyConfig.to(up).start();
             RawClient c = proxy.client()) {
            assertEquals(502, c.exchange(UPGRADE).status());
        }
    }

    /** Upstream side: records the head, switches protocols, greets, then echoes until EOF. */
    private static long echo(ServerSocket listener, CompletableFuture<String> head) {
        try (Socket s = listener.accept()) {
            s.setSoTimeout(TIMEOUT_MS);
            InputStream in = new BufferedInputStream(s.getInputStream());
            head.complete(WireIo.readHead(in));
            OutputStream out = s.getOutputStream();
            out.write((SWITCH + HELLO).getBytes(StandardCharsets.US_ASCII));
            out.flush();
            byte[] buf = new byte[64 * 1024];
            long total = 0;
            for (int n; (n = in.read(buf)) >= 0; ) {
                out.write(buf, 0, n);
                total += n;
            }
            return total;
        } catch (IOException e) {
            head.completeExceptionally(e);
            throw new java.io.UncheckedIOException(e);
        }
    }
}
