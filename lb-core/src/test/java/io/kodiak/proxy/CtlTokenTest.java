package io.kodiak.proxy;

import io.kodiak.Kodiak;
import io.kodiak.admin.AdminServer;
import io.kodiak.admin.Ctl;
import io.kodiak.admin.Json;
import io.kodiak.config.AdminConfig;
import io.kodiak.testing.CtlRun;
import io.kodiak.testing.Loopback;
import io.kodiak.testing.ScriptedUpstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code kodiak ctl token}: the token ctl would send, as a person pastes it into the status page's
 * login; found as every ctl command finds it (--token, KODIAK_ADMIN_TOKEN, the token file).
 */
@Timeout(60)
class CtlTokenTest {
    @TempDir
    Path dir;
    private final Map<String, String> env = new HashMap<>();
    private ScriptedUpstream web;
    private Kodiak kodiak;

    @AfterEach
    void stop() {
        if (kodiak != null) {
            kodiak.close();
        }
        if (web != null) {
            web.close();
        }
    }

    @Test
    void printsTheGeneratedTokenFromItsFileAndThatTokenLogsInToThePage() throws Exception {
        web = ScriptedUpstream.start("a");
        kodiak = Kodiak.start(ProxyConfig.to(web).build());
        AdminServer admin = AdminServer.start(kodiak, new AdminConfig(Loopback.at(0), null, null), null, dir);
        try {
            env.put("KODIAK_HOME", dir.toString());
            String address = "127.0.0.1:" + admin.address().getPort();
            CtlRun r = CtlRun.run(env::get, "token", "--admin", address);
            assertEquals(Ctl.OK, r.code(), r.err());
            String token = r.out().strip();
            assertEquals(token + "\n", r.out(), "the token alone, for $(kodiak ctl token)");
            assertTrue(token.matches("[0-9a-f]{32}"), token);
            assertEquals("", r.err());

            HttpResponse<String> login = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(
                    HttpRequest.newBuilder(URI.create("http://" + address + "/v1/session"))
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(Json.write(Map.of("token", token)))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, login.statusCode(), login.body());
            assertTrue(login.headers().firstValue("Set-Cookie").orElse("").startsWith("kodiak_admin_" + admin.address().getPort() + "="),
                    login.headers().toString());

            CtlRun json = CtlRun.run(env::get, "token", "--admin", address, "--json");
            assertEquals(Ctl.OK, json.code(), json.err());
            @SuppressWarnings("unchecked")
            Map<String, Object> m = (Map<String, Object>) Json.parse(json.out());
            assertEquals(token, m.get("token"));
            assertEquals("file", m.get("source"));
            assertEquals(admin.tokenFile().toString(), m.get("file"));
            assertEquals(address, m.get("admin"));
        } finally {
            admin.close();
        }
    }

    @Test
    void theFlagComesBeforeTheEnvironmentAndTheEnvironmentBeforeTheFile() throws Exception {
        env.put("KODIAK_HOME", dir.toString());
        env.put("KODIAK_ADMIN_TOKEN", "from-env");
        CtlRun flag = CtlRun.run(env::get, "token", "--token", "from-flag");
        assertEquals("from-flag\n", flag.out(), flag.err());
        CtlRun fromEnv = CtlRun.run(env::get, "token");
        assertEquals("from-env\n", fromEnv.out(), fromEnv.err());
        CtlRun fromEnvJson = CtlRun.run(env::get, "--json", "token");
        assertTrue(fromEnvJson.out().contains("\"source\": \"KODIAK_ADMIN_TOKEN\""), fromEnvJson.out());
    }

    @Test
    void withoutAnyTokenItSaysWhereItLookedAndExits1() {
        env.put("KODIAK_HOME", dir.toString());
        CtlRun r = CtlRun.run(env::get, "token", "--admin", "127.0.0.1:9");
        assertEquals(Ctl.REFUSED, r.code(), r.out());
        assertEquals("", r.out());
        assertTrue(r.err().startsWith("kodiak ctl: no admin token for 127.0.0.1:9: none given by --token or KODIAK_ADMIN_TOKEN, "
                + "and no token file " + dir.resolve("admin-127.0.0.1-9.token")), r.err());
        assertEquals(Ctl.USAGE, CtlRun.run(env::get, "token", "extra").code(), "token takes no arguments");
    }
}
