package io.kodiak.proxy;

import io.kodiak.config.ConfigLoader;
import io.kodiak.testing.HttpsUpstream;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.testing.RecordedRequest;
import io.kodiak.testing.ScriptedUpstream;
import io.kodiak.tls.TestCerts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An auth service over HTTPS: the subrequest takes the auth pool's {@code tls} (the chain and name
 * verified, as a proxied request's), and one that does not verify is a 500, not a pass.
 */
@Timeout(60)
class ForwardAuthTlsTest {
    @TempDir
    Path dir;

    private String yaml(ScriptedUpstream app, HttpsUpstream auth, String tls) {
        return "admin: {listen: off, state-file: off}\nmetrics: off\n"
                + "listeners:\n  - name: web\n    address: 127.0.0.1:0\n    routes: [{pool: app}]\n"
                + "    forward-auth: {pool: auth, path: /verify, response-headers: [X-Protocol]}\n"
                + "pools:\n"
                + "  app: {health-check: {type: none}, upstreams: [\"" + app.hostPort() + "\"]}\n"
                + "  auth: {health-check: {type: none}, upstreams: [\"" + auth.hostPort() + "\"], tls: " + tls + "}\n";
    }

    @Test
    void theSubrequestSpeaksTheAuthPoolsTlsAndAFailedVerificationIs500() throws Exception {
        TestCerts certs = new TestCerts(java.nio.file.Files.createDirectories(dir.resolve("certs")));
        Path[] server = certs.leaf("ec", "auth.test", "127.0.0.1");
        try (ScriptedUpstream app = ScriptedUpstream.start("app");
             HttpsUpstream auth = HttpsUpstream.start(server[0], server[1], null, dir.resolve("auth.log"))) {
            ProxyServer good = ProxyServer.start(ConfigLoader.parse(yaml(app, auth, "{ca: " + certs.caCert + "}"),
                    dir.resolve("kodiak.yaml")));
            try (RawClient c = RawClient.connect(good.boundAddress("web").getPort())) {
                for (int i = 0; i < 3; i++) {
                    RawResponse r = c.exchange("GET /page HTTP/1.1\r\nHost: t\r\nX-Protocol: forged\r\n\r\n");
                    assertEquals(200, r.status(), r.toString());
                }
                RecordedRequest seen = app.requests().get(0);
                assertTrue(seen.header("X-Protocol").startsWith("TLSv1."), seen.toString()); // the auth service's, not the client's
            } finally {
                good.close();
            }
            ProxyServer wrong = ProxyServer.start(ConfigLoader.parse(
                    yaml(app, auth, "{ca: " + certs.caCert + ", server-name: other.test}"), dir.resolve("kodiak.yaml")));
            try (RawClient c = RawClient.connect(wrong.boundAddress("web").getPort())) {
                assertEquals(500, c.get("/page").status());
            } finally {
                wrong.close();
            }
            assertEquals(3, app.requestsReceived());
        }
    }
}
