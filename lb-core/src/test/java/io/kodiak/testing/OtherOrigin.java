package io.kodiak.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * An attacker's web site for the browser tests: a JDK HTTP server on a loopback address and port of
 * its own, whose pages act against a target origin (the admin API) from the browser that opens
 * them, as a page a logged-in operator visits would. Two pages:
 * <ul>
 *   <li>{@code /csrf?path=/v1/...}: a form that posts {@code {"state":"drain"}} to the target as
 *   {@code text/plain} (the classic way to send JSON through a form) and submits itself on load;</li>
 *   <li>{@code /read?path=/v1/...}: a script that fetches the target path with credentials, first as
 *   a CORS read ({@code ?via=cors}), then as a no-cors one ({@code ?via=no-cors}), and puts what the
 *   first could read, or {@code blocked}, into the title ({@code read: ...}).</li>
 * </ul>
 * {@code 127.0.0.2} is another site to the browser (SameSite cookies stay home); another port of
 * {@code 127.0.0.1} is the same site but another origin (the cookie goes along, only Origin and CSRF
 * checks stop it).
 */
public final class OtherOrigin implements AutoCloseable {
    private final HttpServer server;
    private final String target;

    private OtherOrigin(HttpServer server, String target) {
        this.server = server;
        this.target = target;
    }

    /** Serves the attack pages on {@code loopbackHost}:(free port) against {@code target} ({@code http://host:port}). */
    public static OtherOrigin start(String loopbackHost, String target) throws IOException {
        InetAddress host = InetAddress.getByName(loopbackHost);
        if (!host.isLoopbackAddress()) {
            throw new IllegalArgumentException("not a loopback address: " + loopbackHost);
        }
        HttpServer server = HttpServer.create(new InetSocketAddress(host, 0), 16);
        OtherOrigin site = new OtherOrigin(server, target);
        server.createContext("/", site::handle);
        server.start();
        return site;
    }

    /** {@code http://HOST:PORT} of this site. */
    public String origin() {
        InetSocketAddress a = server.getAddress();
        return "http://" + a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String query = ex.getRequestURI().getRawQuery();
            String path = query != null && query.startsWith("path=")
                    ? URLDecoder.decode(query.substring(5), StandardCharsets.UTF_8) : "";
            String page;
            if (!path.startsWith("/v1/") || !path.matches("[A-Za-z0-9/_.-]+")) {
                page = null; // only plain admin paths: they go into HTML and a script unescaped
            } else if (ex.getRequestURI().getPath().equals("/csrf")) {
                page = "<!doctype html><title>win a prize</title>"
                        + "<form method=post enctype=text/plain action=\"" + target + path + "\">"
                        + "<input type=hidden name='{\"state\":\"drain\",\"pad\":\"' value='\"}'></form>"
                        + "<script>document.forms[0].submit()</script>";
            } else if (ex.getRequestURI().getPath().equals("/read")) {
                // A CORS read (the browser sends Origin, and withholds the answer unless the target
                // allows this origin), then a no-cors one (no Origin header at all: only
                // Sec-Fetch-Site tells the target where it comes from; the answer is opaque, but
                // the target must refuse it anyway, as a read with a cookie may have effects).
                page = "<!doctype html><title>reading</title><script>"
                        + "fetch('" + target + path + "?via=cors', {credentials: 'include'})"
                        + ".then(r => r.text()).then(t => 'read: ' + t.slice(0, 200), () => 'read: blocked')"
                        + ".then(t => fetch('" + target + path + "?via=no-cors', {mode: 'no-cors', credentials: 'include'})"
                        + ".then(() => t, () => t)).then(t => { document.title = t })</script>";
            } else {
                page = null;
            }
            byte[] body = (page == null ? "not found" : page).getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", page == null ? "text/plain" : "text/html; charset=utf-8");
            ex.sendResponseHeaders(page == null ? 404 : 200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }

    @Override
    public String toString() {
        return "OtherOrigin[" + origin() + " -> " + target + "]";
    }
}
