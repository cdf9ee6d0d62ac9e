package io.kodiak.proxy;

import io.kodiak.config.ServerHeaderPolicy;
import io.kodiak.testing.Action;
import io.kodiak.testing.HeaderFields;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.testing.RecordedRequest;
import io.kodiak.testing.ScriptedUpstream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What Kodiak changes in heads on the wire, and what it must leave byte for byte. */
@Timeout(30)
class HeaderHygieneTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final List<String> HOP_BY_HOP = List.of(
            "Connection", "Keep-Alive", "Proxy-Connection", "TE", "Trailer", "Upgrade");

    @Test
    void hopByHopAndConnectionNamedFieldsAreRemovedFromRequests() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             TestProxy proxy = ProxyConfig.to(up).start();
             RawClient c = proxy.client()) {
            RawResponse r = c.exchange("GET /h HTTP/1.1\r\nHost: t\r\n"
                    + "Connection: keep-alive, X-Private, x-other\r\n"
                    + "X-Private: secret\r\nX-Other: also\r\nX-Kept: yes\r\n"
                    + "Keep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\nTE: trailers\r\n"
                    + "Trailer: X-Checksum\r\nUpgrade: h2c\r\n\r\n");
            assertEquals(200, r.status());
            RecordedRequest seen = up.takeRequest(WAIT);
            for (String name : HOP_BY_HOP) {
                assertNull(seen.header(name), name + " in " + seen.rawHeadString());
            }
            assertNull(seen.header("X-Private"), seen.rawHeadString());
            assertNull(seen.header("X-Other"), seen.rawHeadString());
            assertEquals("yes", seen.header("X-Kept"));
        }
    }

    @Test
    void hopByHopAndConnectionNamedFieldsAreRemovedFromResponses() throws Exception {
        HeaderFields sent = HeaderFields.of("Connection", "X-Secret", "X-Secret", "s3cr3t",
                "Keep-Alive", "timeout=5, max=100", "Proxy-Connection", "keep-alive", "TE", "trailers",
                "Trailer", "X-Checksum", "Upgrade", "h2c", "X-Ok", "fine");
        try (ScriptedUpstream up = ScriptedUpstream.start("a", r -> Action.respond(200, sent, "body".getBytes()));
             TestProxy proxy = ProxyConfig.to(up).start();
             RawClient c = proxy.client()) {
            RawResponse r = c.get("/h");
            assertEquals(200, r.status());
            assertEquals("body", r.bodyString());
            for (String name : HOP_BY_HOP) {
                assertNull(r.header(name), name + " in " + r.rawHeadString());
            }
            assertNull(r.header("X-Secret"), r.rawHeadString());
            assertEquals("fine", r.header("X-Ok"));
            assertEquals(200, c.get("/again").status(), "the client connection stays usable");
        }
    }

    @Test
    void forwardingFieldsAreAppendedAndSet() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             TestProxy proxy = ProxyConfig.to(up).start();
             RawClient c = proxy.client()) {
            c.exchange("GET /f HTTP/1.1\r\nHost: App.Example:8443\r\nX-Forwarded-For: 203.0.113.7\r\n"
                    + "X-Forwarded-For: 198.51.100.1\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: evil\r\n\r\n");
            RecordedRequest seen = up.takeRequest(WAIT);
            assertEquals(List.of("203.0.113.7, 198.51.100.1, 127.0.0.1"), seen.headers().values("X-Forwarded-For"));
            assertEquals(List.of("http"), seen.headers().values("X-Forwarded-Proto"), "spoofed value replaced");
            assertEquals(List.of("App.Example:8443"), seen.headers().values("X-Forwarded-Host"));

            c.get("/g");
            RecordedRequest plain = up.takeRequest(WAIT);
            assertEquals(List.of("127.0.0.1"), plain.headers().values("X-Forwarded-For"));
        }
    }

    @Test
    void hostPathAndQueryAreForwardedByteForByte() throws Exception {
        String target = "//a//b/%2F%2e%2E/./../C%20d;p=1?q=%41&r=a%20b&&s=/x//y&t=%zz#";
        String targetNoFragment = target.substring(0, target.length() - 1);
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             TestProxy proxy = ProxyConfig.to(up).start();
             RawClient c = proxy.client()) {
            RawResponse r = c.exchange("GET " + targetNoFragment + " HTTP/1.1\r\nHoSt: ExAmPlE.CoM:8080\r\n"
                    + "x-MiXeD-CaSe: Value  With   Spaces\r\n\r\n");
            assertEquals(200, r.status(), r.toString());
            RecordedRequest seen = up.takeRequest(WAIT);
            String head = seen.rawHeadString();
            assertTrue(head.startsWith("GET " + targetNoFragment + " HTTP/1.1\r\n"), head);
            assertTrue(head.contains("\r\nHoSt: ExAmPlE.CoM:8080\r\n"), head);
            assertTrue(head.contains("\r\nx-MiXeD-CaSe: Value  With   Spaces\r\n"), head);
        }
    }

    @Test
    void absoluteFormTargetIsForwardedInOriginFormWithItsAuthorityAsHost() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             TestProxy proxy = ProxyConfig.to(up).start();
             RawClient c = proxy.client()) {
            c.exchange("GET http://Other.Example:81/p%41th?x=1 HTTP/1.1\r\nHost: ignored\r\n\r\n");
            RecordedRequest seen = up.takeRequest(WAIT);
            assertTrue(seen.rawHeadString().startsWith("GET /p%41th?x=1 HTTP/1.1\r\n"), seen.rawHeadString());
            assertEquals(List.of("Other.Example:81"), seen.headers().values("Host"));
        }
    }

    @Test
    void serverFieldIsStrippedByDefaultPassedOrSetByPolicy() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a", r -> Action.respond(200,
                HeaderFields.of("Server", "gunicorn/23.0"), "x".getBytes()));
             TestProxy proxy = ProxyConfig.to(up)
                     .listener("pass", new ServerHeaderPolicy(ServerHeaderPolicy.Mode.PASS, null))
                     .listener("set", new ServerHeaderPolicy(ServerHeaderPolicy.Mode.SET, "edge"))
                     .start()) {
            try (RawClient c = proxy.client()) {
                RawResponse r = c.get("/");
                assertEquals(List.of(), r.headers().values("Server"), r.rawHeadString());
                RawResponse local = c.exchange("GET / HTTP/1.1\r\n\r\n"); // 400 from Kodiak itself
                assertEquals(400, local.status());
                assertEquals(List.of(), local.headers().values("Server"), local.rawHeadString());
            }
            try (RawClient c = RawClient.connect(proxy.port("pass"))) {
                assertEquals(List.of("gunicorn/23.0"), c.get("/").headers().values("Server"));
            }
            try (RawClient c = RawClient.connect(proxy.port("set"))) {
                assertEquals(List.of("edge"), c.get("/").headers().values("Server"));
                RawResponse local = c.exchange("GET / HTTP/1.1\r\n\r\n");
                assertEquals(List.of("edge"), local.headers().values("Server"), local.rawHeadString());
            }
        }
    }

    /**
     * CGI and WSGI turn '-' into '_' for the environ key, so {@code X_Forwarded_For} would reach
     * the app as HTTP_X_FORWARDED_FOR beside the one Kodiak sets; Gunicorn 20 even reads a
     * {@code SCRIPT_NAME} field as the script name. Such fields are dropped, as nginx does.
     */
    @Test
    void fieldsWithUnderscoresAreDroppedByDefault() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             TestProxy proxy = ProxyConfig.to(up).start();
             RawClient c = proxy.client()) {
            RawResponse r = c.exchange("GET /u HTTP/1.1\r\nHost: t\r\nX_Forwarded_For: 6.6.6.6\r\n"
                    + "x_forwarded_proto: https\r\nSCRIPT_NAME: /admin\r\nX-Kept: yes\r\n\r\n");
            assertEquals(200, r.status());
            RecordedRequest seen = up.takeRequest(WAIT);
            String head = seen.rawHeadString();
            assertFalse(head.contains("_"), head);
            assertFalse(head.contains("6.6.6.6"), head);
            assertEquals(List.of("127.0.0.1"), seen.headers().values("X-Forwarded-For"));
            assertEquals(List.of("http"), seen.headers().values("X-Forwarded-Proto"));
            assertEquals("yes", seen.header("X-Kept"));
            assertEquals(200, c.get("/next").status(), "the connection stays usable");
        }
    }

    @Test
    void fieldsWithUnderscoresPassWhenTheListenerSaysSo() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             TestProxy proxy = ProxyConfig.to(up).underscoresInHeaders(true).start();
             RawClient c = proxy.client()) {
            c.exchange("GET /u HTTP/1.1\r\nHost: t\r\nX_Forwarded_For: 6.6.6.6\r\n\r\n");
            String head = up.takeRequest(WAIT).rawHeadString();
            assertTrue(head.contains("\r\nX_Forwarded_For: 6.6.6.6\r\n"), head);
        }
    }
}
