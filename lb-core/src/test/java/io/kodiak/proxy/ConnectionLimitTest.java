package io.kodiak.proxy;

import io.kodiak.config.ClientLimits;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.testing.ScriptedUpstream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** A listener's max-connections: the connection beyond it is closed at once, and a freed slot is reused. */
@Timeout(30)
class ConnectionLimitTest {
    @Test
    void connectionBeyondTheLimitIsClosedAndAFreedSlotIsReused() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("u");
             TestProxy proxy = ProxyConfig.to(up).limits(new ClientLimits(8190, 32 * 1024, 100, 2)).start();
             RawClient first = proxy.client();
             RawClient second = proxy.client()) {
            // Both admitted connections are served (a request proves the session exists).
            assertEquals(200, first.get("/1").status());
            assertEquals(200, second.get("/2").status());

            try (RawClient third = proxy.client(Duration.ofSeconds(10))) {
                RawClient.Closure closure = sendAndAwaitClose(third);
                assertNotEquals(RawClient.Closure.DATA, closure, "the third connection must get no response");
                assertNotEquals(RawClient.Closure.TIMED_OUT, closure, "the third connection must be closed at once");
            }
            assertEquals(2, up.requestsReceived(), "the refused connection's request never reached the upstream");

            first.close();
            // The slot frees once Kodiak has seen the close; until then a new connection is cut.
            RawResponse[] served = new RawResponse[1];
            Conditions.await("a freed slot admits a new connection", () -> {
                try (RawClient next = proxy.client()) {
                    served[0] = next.get("/4");
                    return true;
                } catch (IOException cutWhileTheCloseIsPending) {
                    return false;
                }
            }, Duration.ofSeconds(10));
            RawResponse r = served[0];
            assertEquals(200, r == null ? -1 : r.status());
        }
    }

    private static RawClient.Closure sendAndAwaitClose(RawClient c) throws IOException {
        try {
            c.send("GET /3 HTTP/1.1\r\nHost: x\r\n\r\n");
        } catch (IOException alreadyReset) {
            return RawClient.Closure.RESET;
        }
        return c.awaitClose();
    }
}
