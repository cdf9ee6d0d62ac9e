package io.kodiak.proxy;

import io.kodiak.Kodiak;
import io.kodiak.config.ConfigLoader;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.testing.RecordedRequest;
import io.kodiak.testing.ScriptedUpstream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Routes match the normalised path ({@link io.kodiak.http.PathNormalizer}): dot segments and
 * encoded dots cannot climb out of a path-prefix, and the upstream still gets the target byte
 * for byte.
 */
@Timeout(60)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PathRoutingTest {
    private ScriptedUpstream v1;
    private ScriptedUpstream other;
    private Kodiak kodiak;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        v1 = ScriptedUpstream.start("v1");
        other = ScriptedUpstream.start("other");
        Path file = dir.resolve("kodiak.yaml");
        Files.writeString(file, "admin: {listen: off, state-file: off}\nmetrics: off\n"
                + "listeners:\n  - name: web\n    address: 127.0.0.1:0\n"
                + "    routes: [{path-prefix: /v1/, pool: v1}, {pool: other}]\n"
                + "pools:\n"
                + "  v1: {health-check: {type: none}, upstreams: [{name: v1, address: \"" + v1.hostPort() + "\"}]}\n"
                + "  other: {health-check: {type: none}, upstreams: [{name: other, address: \"" + other.hostPort()
                + "\"}]}\n");
        kodiak = Kodiak.start(ConfigLoader.load(file));
    }

    @AfterAll
    void stop() {
        if (kodiak != null) {
            kodiak.close();
        }
        v1.close();
        other.close();
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "/v1/../admin,               other",
        "/v1/%2e%2E/admin,           other",
        "/v1/.%2e/admin?next=/v1/,   other",
        "/v1/x/../../admin,          other",
        "/v1/..,                     other",
        "/%761/x,                    v1",
        "/v1/./x,                    v1",
        "/v1//x,                     v1",
        "/v1/..%2Fadmin,             v1",
        "/v1/x/..?q=/../..,          v1",
    })
    void routesOnTheNormalisedPathAndForwardsTheTargetAsReceived(String target, String pool) throws Exception {
        ScriptedUpstream expected = pool.equals("v1") ? v1 : other;
        int before = expected.requests().size();
        try (RawClient c = RawClient.connect(kodiak.boundAddress("web").getPort())) {
            RawResponse r = c.get(target);
            assertEquals(200, r.status(), r.toString());
            assertEquals(pool, r.header("X-Upstream"), target);
        }
        RecordedRequest got = expected.requests().get(before);
        assertTrue(got.rawHeadString().startsWith("GET " + target + " HTTP/1.1\r\n"), "forwarded byte for byte: " + got);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/../admin", "/v1/../../admin", "/%2e%2e/admin", "/v1//../admin", "/v1/%zz", "/v1/%4"})
    void aPathThatClimbsOutOrIsMalformedIs400AndCloses(String target) throws Exception {
        int received = v1.requestsReceived() + other.requestsReceived();
        try (RawClient c = RawClient.connect(kodiak.boundAddress("web").getPort())) {
            c.readTimeout(Duration.ofSeconds(10));
            RawResponse r = c.get(target);
            assertEquals(400, r.status(), r.toString());
            assertEquals(RawClient.Closure.EOF, c.awaitClose());
        }
        assertEquals(received, v1.requestsReceived() + other.requestsReceived(), "nothing reached an upstream");
    }
}
