package io.kodiak.proxy;

import io.kodiak.testing.Action;
import io.kodiak.testing.DeterministicBytes;
import io.kodiak.testing.Loopback;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.testing.ScriptedUpstream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Memory stays bounded whatever the body size: Kodiak runs in a child JVM with a 256 MiB heap (and
 * 64 MiB of direct memory) and carries a 1 GiB upload and a 1 GiB download, checked by SHA-256 at
 * both ends. This test holds no large buffer itself: bodies are generated and hashed as they stream.
 * Run it alone with {@code -Dgroups=big}.
 */
@Tag("big")
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class MemoryBoundTest {
    private static final long GIB = 1L << 30;
    private static final long UP_SEED = 31;
    private static final long DOWN_SEED = 37;

    @TempDir
    Path dir;

    @Test
    void oneGibUploadAndDownloadThroughA256MibHeap() throws Exception {
        ExecutorService hashing = Executors.newSingleThreadExecutor();
        try (ScriptedUpstream up = ScriptedUpstream.start("big", r -> r.method().equals("POST")
                ? Action.ok(r.body().length() + " " + r.body().sha256())
                : Action.streamBody(200, GIB, DOWN_SEED, false))) {
            // The expected digests cost a few seconds of CPU each: computed while the bytes travel.
            CompletableFuture<String> upSha = CompletableFuture.supplyAsync(
                    () -> DeterministicBytes.of(UP_SEED).sha256Hex(GIB), hashing);
            CompletableFuture<String> downSha = CompletableFuture.supplyAsync(
                    () -> DeterministicBytes.of(DOWN_SEED).sha256Hex(GIB), hashing);
            Path spool = Files.createDirectory(dir.resolve("spool"));
            Path config = dir.resolve("kodiak.yaml");
            Files.writeString(config, "admin:\n  listen: off\n  state-file: off\nmetrics: off\nlisteners:\n"
                    + "  - name: big\n"
                    + "    address: 127.0.0.1:0\n"
                    + "pools:\n"
                    + "  big:\n"
                    + "    upstreams: [" + up.hostPort() + "]\n"
                    + "    buffering: {max-request-body: 2GiB, temp-dir: " + spool + "}\n");
            long start = System.nanoTime();
            try (ChildKodiak kodiak = ChildKodiak.start(config, List.of("-Xmx256m", "-XX:MaxDirectMemorySize=64m",
                    "-XX:+ExitOnOutOfMemoryError", "-Dkodiak.grace.seconds=1"), Duration.ofSeconds(30));
                 RawClient c = RawClient.connect(Loopback.at(kodiak.port()), Duration.ofSeconds(90))) {
                c.send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: " + GIB + "\r\n\r\n");
                c.sendBody(UP_SEED, GIB);
                RawResponse uploaded = c.readResponse();
                assertEquals(200, uploaded.status(), kodiak.output());
                long upDone = System.nanoTime();

                RawResponse downloaded = c.get("/download");
                assertEquals(200, downloaded.status(), kodiak.output());
                assertEquals(GIB, downloaded.body().length());
                long downDone = System.nanoTime();

                assertEquals(GIB + " " + upSha.get(60, TimeUnit.SECONDS), uploaded.bodyString(), "upload digest");
                assertEquals(downSha.get(60, TimeUnit.SECONDS), downloaded.body().sha256(), "download digest");
                assertTrue(kodiak.isAlive(), "Kodiak died: " + kodiak.output());
                System.out.printf("memory bound: 1 GiB up in %.1f s, 1 GiB down in %.1f s, Kodiak peak RSS %d MiB%n",
                        (upDone - start) / 1e9, (downDone - upDone) / 1e9, kodiak.peakRssKib() / 1024);
            }
        } finally {
            hashing.shutdownNow();
        }
    }
}
