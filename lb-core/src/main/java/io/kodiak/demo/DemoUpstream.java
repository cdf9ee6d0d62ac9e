package io.kodiak.demo;

import org.glassfish.grizzly.http.server.HttpHandler;
import org.glassfish.grizzly.http.server.HttpServer;
import org.glassfish.grizzly.http.server.NetworkListener;
import org.glassfish.grizzly.http.server.Request;
import org.glassfish.grizzly.http.server.Response;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A small HTTP server for the demo, in the same JVM as Kodiak: it says who answered, and echoes
 * a SHA-256 of any request body so that a user can see bodies arrive intact. Built on Grizzly's
 * high-level HTTP server, which runs handlers on its own worker threads (it is not the data path).
 */
public final class DemoUpstream implements AutoCloseable {
    private final String name;
    private final HttpServer server;
    private final NetworkListener listener;

    private DemoUpstream(String name, HttpServer server, NetworkListener listener) {
        this.name = name;
        this.server = server;
        this.listener = listener;
    }

    /** Starts an upstream named {@code name} on 127.0.0.1 and a free port. */
    public static DemoUpstream start(String name) throws IOException {
        HttpServer server = new HttpServer();
        NetworkListener listener = new NetworkListener(name, "127.0.0.1", 0);
        server.addListener(listener);
        server.getServerConfiguration().addHttpHandler(new HttpHandler() {
            @Override
            public void service(Request request, Response response) throws Exception {
                String digest = sha256(request.getInputStream());
                String text = name + " answered " + request.getMethod() + " " + request.getRequestURI()
                        + (request.getQueryString() == null ? "" : "?" + request.getQueryString())
                        + (digest == null ? "" : " body-sha256=" + digest) + "\n";
                byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
                response.setContentType("text/plain; charset=utf-8");
                response.setHeader("X-Demo-Upstream", name);
                response.setContentLength(bytes.length);
                response.getOutputStream().write(bytes);
            }
        }, "/");
        server.getServerConfiguration().setName(name);
        server.getServerConfiguration().setHttpServerName(name);
        server.start();
        return new DemoUpstream(name, server, listener);
    }

    private static String sha256(InputStream in) throws IOException, NoSuchAlgorithmException {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        byte[] buf = new byte[16 * 1024];
        long total = 0;
        for (int n; (n = in.read(buf)) > 0; ) {
            md.update(buf, 0, n);
            total += n;
        }
        return total == 0 ? null : HexFormat.of().formatHex(md.digest());
    }

    public String name() {
        return name;
    }

    public int port() {
        return listener.getPort();
    }

    @Override
    public void close() {
        server.shutdownNow();
    }
}
