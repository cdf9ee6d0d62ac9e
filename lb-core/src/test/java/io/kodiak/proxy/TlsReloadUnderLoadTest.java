package io.kodiak.proxy;

import io.kodiak.Kodiak;
import io.kodiak.config.ConfigLoader;
import io.kodiak.testing.ScriptedUpstream;
import io.kodiak.testing.Tools;
import io.kodiak.tls.TestCerts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Certificates reloaded again and again under HTTPS load, and not one request fails: Python's
 * {@code ssl} and {@code http.client} in four threads send 400 requests over keep-alive
 * connections (a new one every ten requests, so handshakes happen across the reloads) while the
 * test swaps the certificate and key between two pairs and reloads after every 40 requests done.
 * The clients verify the chain and the name each time, and must have been served both
 * certificates, which proves the reloads happened under them.
 */
@Timeout(180)
class TlsReloadUnderLoadTest {
    private static final int THREADS = 4;
    private static final int PER_THREAD = 100;
    private static final int RELOAD_EVERY = 40;

    /** Prints "done N" after every RELOAD_EVERY requests in all, then "failures F" and "certificates C". */
    private static final String CLIENT = """
            import hashlib, http.client, socket, ssl, sys, threading
            port, ca, threads, per, every = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
            ctx = ssl.create_default_context(cafile=ca)
            lock = threading.Lock()
            state = {"done": 0, "failures": [], "certs": set()}
            def run(t):
                conn = None
                for i in range(per):
                    try:
                        if conn is None or i % 10 == 0:
                            if conn is not None:
                                conn.close()
                            # example.test at 127.0.0.1, as curl --resolve: the name for SNI and verification
                            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
                            conn.sock = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=20),
                                                        server_hostname="example.test")
                            with lock:
                                state["certs"].add(hashlib.sha256(conn.sock.getpeercert(binary_form=True)).hexdigest())
                        conn.request("GET", "/t%d/%d" % (t, i), headers={"Host": "example.test"})
                        r = conn.getresponse()
                        r.read()
                        if r.status != 200:
                            raise Exception("status %d" % r.status)
                    except Exception as e:
                        with lock:
                            state["failures"].append("thread %d request %d: %r" % (t, i, e))
                        conn = None
                    with lock:
                        state["done"] += 1
                        if state["done"] % every == 0:
                            print("done", state["done"], flush=True)
            ts = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
            for t in ts: t.start()
            for t in ts: t.join()
            print("failures", len(state["failures"]), state["failures"][:5], flush=True)
            print("certificates", len(state["certs"]), flush=True)
            """;

    @TempDir
    Path dir;

    @Test
    void noRequestFailsWhileCertificatesAreReloaded() throws Exception {
        Tools.require("python3", "--version", "python3");
        TestCerts certs = new TestCerts(dir);
        Path[][] pairs = {certs.leaf("ec", "example.test"), certs.leaf("rsa", "example.test")};
        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        install(pairs[0], cert, key);
        Path client = Files.writeString(dir.resolve("client.py"), CLIENT);
        try (ScriptedUpstream upstream = ScriptedUpstream.start("u1")) {
            Path file = dir.resolve("kodiak.yaml");
            Files.writeString(file, "admin: {listen: off}\nmetrics: off\nlisteners:\n  - name: web\n    address: 127.0.0.1:0\n"
                    + "    tls: {cert: " + cert + ", key: " + key + "}\n"
                    + "pools:\n  app:\n    upstreams: [" + upstream.hostPort() + "]\n    health-check: {type: none}\n");
            try (Kodiak kodiak = Kodiak.start(ConfigLoader.load(file))) {
                Process p = new ProcessBuilder("python3", client.toString(), Integer.toString(kodiak.boundAddress("web").getPort()),
                        certs.caCert.toString(), Integer.toString(THREADS), Integer.toString(PER_THREAD), Integer.toString(RELOAD_EVERY))
                        .redirectErrorStream(true).start();
                List<String> lines = new ArrayList<>();
                int reloads = 0;
                try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line = out.readLine(); line != null; line = out.readLine()) {
                        lines.add(line);
                        if (line.startsWith("done ") && Integer.parseInt(line.substring(5)) < THREADS * PER_THREAD) {
                            install(pairs[++reloads % 2], cert, key); // as a renewal: new files in place, then the reload
                            List<String> changes = kodiak.reload().changes();
                            // Empty only if the certificate watch read the files first (they stood still for a poll).
                            assertTrue(changes.isEmpty() || changes.equals(List.of("listener web: certificates reloaded")),
                                    changes.toString());
                        }
                    }
                }
                assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the client did not end");
                assertEquals(0, p.exitValue(), String.join("\n", lines));
                assertTrue(reloads >= 5, "only " + reloads + " reloads under load: " + lines);
                assertTrue(lines.stream().anyMatch(l -> l.startsWith("failures 0 ")), String.join("\n", lines));
                assertTrue(lines.contains("certificates 2"), String.join("\n", lines));
            }
        }
    }

    /** Replaces the pair in place, each file in one rename, so a reload reads whole files. */
    private static void install(Path[] pair, Path cert, Path key) throws Exception {
        Path tmp = cert.resolveSibling("incoming.tmp");
        Files.copy(pair[0], tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(tmp, cert, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Files.copy(pair[1], tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(tmp, key, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
