package io.kodiak.proxy;

import io.kodiak.Kodiak;
import io.kodiak.admin.Json;
import io.kodiak.config.ConfigLoader;
import io.kodiak.testing.ScriptedUpstream;
import io.kodiak.testing.Tools;
import io.kodiak.upstream.AdminState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Every {@code curl} example for the admin API in the README and {@code docs/}, run as written
 * with real curl against a running admin API (only the port is this test's own): an example that
 * gets an error back would teach its readers to get the same error.
 */
@Timeout(60)
class AdminDocsTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final String DOCUMENTED_ADDRESS = "127.0.0.1:9090"; // an IP literal: localhost may reach whatever another user bound on [::1]

    @TempDir
    Path dir;
    private ScriptedUpstream web2;
    private Kodiak kodiak;

    @AfterEach
    void stop() {
        if (kodiak != null) {
            kodiak.close();
        }
        if (web2 != null) {
            web2.close();
        }
    }

    @Test
    void everyDocumentedCurlExampleSucceeds() throws Exception {
        Tools.require("curl", "--version", "curl");
        List<String> examples = new ArrayList<>();
        try (Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
            for (Path doc : Stream.concat(Stream.of(ROOT.resolve("README.md")), docs.filter(p -> p.toString().endsWith(".md")).sorted()).toList()) {
                examples.addAll(curlExamples(Files.readString(doc)));
            }
        }
        assertFalse(examples.isEmpty(), "no admin API curl example found: has the documented address changed?");

        // The docs' names: pool app, upstream web-2.
        web2 = ScriptedUpstream.start("web-2");
        Files.writeString(dir.resolve("kodiak.yaml"), """
                admin: {listen: 127.0.0.1:0, token: %s, state-file: off}
                metrics: off
                listeners: [{name: web, address: 127.0.0.1:0}]
                pools:
                  app:
                    health-check: {type: none}
                    upstreams: [{name: web-2, address: "%s"}]
                """.formatted(AdminApiTest.TOKEN, web2.hostPort()));
        kodiak = Kodiak.start(ConfigLoader.load(dir.resolve("kodiak.yaml")));
        String address = "127.0.0.1:" + kodiak.adminAddress().getPort();
        for (String example : examples) {
            Tools.Result r = Tools.run(dir, Map.of("KODIAK_ADMIN_TOKEN", AdminApiTest.TOKEN), "bash", "-c",
                    example.replace(DOCUMENTED_ADDRESS, address) + " -w '\\n%{http_code}'");
            String[] lines = r.output().split("\n");
            String status = lines[lines.length - 1];
            assertEquals("200", status, example + "\n-> " + r.output());
            Json.parse(r.output().substring(0, r.output().length() - status.length())); // a JSON answer
        }
        assertEquals(AdminState.DRAIN, kodiak.upstream("app", "web-2").adminState(), "the documented drain happened");
    }

    /** The {@code curl} commands to the admin API in {@code markdown}'s code blocks, continuation lines joined. */
    static List<String> curlExamples(String markdown) {
        List<String> out = new ArrayList<>();
        boolean inCode = false;
        StringBuilder command = null;
        for (String line : markdown.split("\n")) {
            if (line.startsWith("```")) {
                inCode = !inCode;
                continue;
            }
            if (!inCode) {
                continue;
            }
            String text = line.strip();
            if (command == null && text.startsWith("curl ")) {
                command = new StringBuilder();
            }
            if (command == null) {
                continue;
            }
            boolean continued = text.endsWith("\\");
            command.append(continued ? text.substring(0, text.length() - 1) : text).append(' ');
            if (!continued) {
                String c = command.toString().strip();
                if (c.contains(DOCUMENTED_ADDRESS)) {
                    out.add(c);
                }
                command = null;
            }
        }
        return out;
    }
}
