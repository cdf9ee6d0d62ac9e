package io.kodiak.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

class RequestStatsTest {

    @Test
    void countsResponsesByClassErrorsByCauseAndBytes() {
        RequestStats stats = new RequestStats("app1");
        for (int status : new int[] {100, 200, 204, 301, 404, 499, 500, 503, 599}) {
            stats.recordRequest();
            stats.recordResponse(status);
        }
        stats.recordRequest();
        stats.recordError(ErrorCause.CONNECT_REFUSED);
        stats.recordRequest();
        stats.recordError(ErrorCause.TIMEOUT);
        stats.addBytesIn(1000);
        stats.addBytesOut(300);
        stats.addBytesOut(20);

        RequestStatsSnapshot s = stats.snapshot();

        assertEquals("app1", s.target());
        assertEquals(11, s.requests());
        assertEquals(1, s.responses(StatusClass.INFORMATIONAL));
        assertEquals(2, s.responses(StatusClass.SUCCESSFUL));
        assertEquals(1, s.responses(StatusClass.REDIRECTION));
        assertEquals(2, s.responses(StatusClass.CLIENT_ERROR));
        assertEquals(3, s.responses(StatusClass.SERVER_ERROR));
        assertEquals(1, s.errors(ErrorCause.CONNECT_REFUSED));
        assertEquals(1, s.errors(ErrorCause.TIMEOUT));
        assertEquals(0, s.errors(ErrorCause.RESET));
        assertEquals(1000, s.bytesIn());
        assertEquals(320, s.bytesOut());
    }

    @Test
    void snapshotIsImmutableAndRollsTheLatencyRecorders() {
        RequestStats stats = new RequestStats("app1");
        stats.recordRequest();
        stats.latency().record(2_000_000);
        stats.timeToFirstByte().record(1_000_000);
        stats.connectTime().record(100_000);
        RequestStatsSnapshot first = stats.snapshot();

        stats.recordRequest();
        stats.latency().record(4_000_000);
        RequestStatsSnapshot second = stats.snapshot();

        assertEquals(1, first.requests());
        assertEquals(1, first.latency().count());
        assertEquals(1, first.timeToFirstByte().count());
        assertEquals(1, first.connectTime().count());
        assertEquals(2, second.requests());
        assertEquals(2, second.latency().cumulativeCount());
    }

    @Test
    void statusOutsideTheValidRangeIsRejected() {
        RequestStats stats = new RequestStats("app1");
        assertThrows(IllegalArgumentException.class, () -> stats.recordResponse(99));
        assertThrows(IllegalArgumentException.class, () -> stats.recordResponse(600));
    }

    @Test
    void toStringIsOneLineWithoutClosingAnInterval() {
        RequestStats stats = new RequestStats("app1");
        stats.recordRequest();
        stats.recordResponse(200);
        stats.recordRequest();
        stats.recordError(ErrorCause.CONNECT_TIMEOUT);
        stats.latency().record(3_000_000);

        String line = stats.toString();

        assertTrue(line.startsWith("app1{requests=2, 2xx=1, connect_timeout=1, bytesIn=0"), line);
        assertTrue(!line.contains("\n"), line);
        assertEquals(1, stats.snapshot().latency().count(), "toString closed the interval");
    }

    @Test
    void countersFromManyThreadsAddUp() throws InterruptedException {
        RequestStats stats = new RequestStats("app1");
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Thread thread = new Thread(() -> {
                for (int i = 0; i < 10_000; i++) {
                    stats.recordRequest();
                    stats.recordResponse(200 + i % 400);
                    stats.latency().record(i * 1_000L);
                }
            });
            thread.start();
            threads.add(thread);
        }
        for (Thread thread : threads) {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        }

        RequestStatsSnapshot s = stats.snapshot();

        assertEquals(40_000, s.requests());
        assertEquals(40_000, s.responses(StatusClass.SUCCESSFUL) + s.responses(StatusClass.REDIRECTION)
                + s.responses(StatusClass.CLIENT_ERROR) + s.responses(StatusClass.SERVER_ERROR));
        assertEquals(40_000, s.latency().count());
    }
}
