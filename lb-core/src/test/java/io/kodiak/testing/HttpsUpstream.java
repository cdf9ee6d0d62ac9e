package io.kodiak.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A real HTTPS upstream: Python's {@code ssl} module serving {@code tls/https_upstream.py} on
 * {@code 127.0.0.1:<ephemeral port>}, optionally requiring a client certificate. Its responses
 * report, in headers, the connection they came on (client port, SNI, client certificate), so a
 * test sees what Kodiak did at the TLS layer from the other end.
 */
public final class HttpsUpstream implements AutoCloseable {
    private final Process process;
    private final int port;

    private HttpsUpstream(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /**
     * @param clientCa the CA a client certificate must chain to, or {@code null} for none asked
     * @param log      where its stderr (request and handshake lines) goes
     */
    public static HttpsUpstream start(Path cert, Path key, Path clientCa, Path log) throws IOException {
        Tools.require("python3", "--version", "python3");
        List<String> cmd = new ArrayList<>(List.of("python3", script().toString(), cert.toString(), key.toString()));
        if (clientCa != null) {
            cmd.add(clientCa.toString());
        }
        Process p = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII));
        String line = out.readLine(); // the script prints its port first, once listening
        if (line == null || !line.startsWith("PORT ")) {
            p.destroyForcibly();
            throw new IOException("https_upstream.py did not start: " + line);
        }
        return new HttpsUpstream(p, Integer.parseInt(line.substring(5).trim()));
    }

    private static Path script() throws IOException {
        try {
            return Path.of(HttpsUpstream.class.getResource("/tls/https_upstream.py").toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IOException("tls/https_upstream.py is not on the test class path", e);
        }
    }

    public int port() {
        return port;
    }

    public String hostPort() {
        return "127.0.0.1:" + port;
    }

    @Override
    public void close() {
        Tools.stop(process);
    }
}
