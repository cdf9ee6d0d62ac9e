package io.kodiak.proxy;

import io.kodiak.testing.Action;
import io.kodiak.testing.Loopback;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.testing.ScriptedUpstream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Kodiak.shutdown(grace): stop accepting, finish what is in flight, close the rest. */
@Timeout(30)
class GracefulShutdownTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void requestInFlightCompletesWhileNewConnectionsAreRefused() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService shutdownThread = Executors.newSingleThreadExecutor();
        try (ScriptedUpstream up = ScriptedUpstream.start("a", r -> r.target().equals("/slow")
                ? awaitThen(release, Action.ok("slow done")) : Action.ok("fast"));
             TestProxy proxy = ProxyConfig.to(up).start();
             RawClient idle = proxy.client();
             RawClient busy = proxy.client()) {
            assertEquals(200, idle.get("/fast").status());
            busy.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n");
            up.await("slow request upstream", () -> up.requestsInProgress() == 1, WAIT);
            int port = proxy.port();

            CompletableFuture<Boolean> clean = CompletableFuture.supplyAsync(
                    () -> proxy.kodiak().shutdown(Duration.ofSeconds(20)), shutdownThread);
            Conditions.await("new connections refused", () -> refused(port), WAIT);
            assertEquals(RawClient.Closure.EOF, idle.awaitClose(), "idle keep-alive connections close at once");
            assertFalse(clean.isDone(), "shutdown waits for the request in flight");

            release.countDown();
            RawResponse r = busy.readResponse();
            assertEquals(200, r.status());
            assertEquals("slow done", r.bodyString());
            assertEquals("close", r.header("Connection"), "no keep-alive while stopping");
            assertEquals(RawClient.Closure.EOF, busy.awaitClose());
            assertTrue(clean.get(WAIT.toMillis(), TimeUnit.MILLISECONDS), "every request finished in the grace period");
        } finally {
            release.countDown();
            shutdownThread.shutdownNow();
        }
    }

    @Test
    void requestStillRunningWhenTheGraceEndsIsCutOff() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (ScriptedUpstream up = ScriptedUpstream.start("a", r -> awaitThen(release, Action.ok("too late")));
             TestProxy proxy = ProxyConfig.to(up).start();
             RawClient busy = proxy.client()) {
            busy.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n");
            up.await("slow request upstream", () -> up.requestsInProgress() == 1, WAIT);
            assertFalse(proxy.kodiak().shutdown(Duration.ofMillis(300)), "the grace period ran out");
            RawClient.Closure closure = busy.awaitClose();
            assertNotEquals(RawClient.Closure.TIMED_OUT, closure);
            assertNotEquals(RawClient.Closure.DATA, closure, "no response once the grace is over");
        } finally {
            release.countDown();
        }
    }

    private static boolean refused(int port) {
        try (Socket s = new Socket()) {
            s.connect(Loopback.at(port), 1_000);
            return false; // still listening (or accepted just before the unbind)
        } catch (ConnectException e) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static Action awaitThen(CountDownLatch latch, Action then) {
        try {
            if (!latch.await(20, TimeUnit.SECONDS)) {
                throw new IllegalStateException("never released");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return then;
    }
}
