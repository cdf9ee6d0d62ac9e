package io.kodiak.admin;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

/**
 * The admin API as {@code kodiak ctl} calls it: one address and token, JSON objects in and out,
 * and every way a call can fail turned into the exit code {@link Ctl} documents (the API could not
 * be reached: {@link Ctl#UNREACHABLE}; it answered with an error or not with a JSON object:
 * {@link Ctl#REFUSED}, with its message).
 *
 * <p>One per command run; calls block (this is the command-line client, never the data path).
 */
final class AdminClient {
    /** How long a call may take beyond what it asks the server to wait for. */
    private static final Duration MARGIN = Duration.ofSeconds(15);

    private final InetSocketAddress admin;
    private final String token;
    private final HttpClient client;

    AdminClient(InetSocketAddress admin, String token) {
        this.admin = admin;
        this.token = token;
        // HTTP/1.1: the JDK client's default h2c upgrade would make Grizzly treat the body as an upgraded stream.
        this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    }

    /** A call that failed, with the exit code it means. */
    static final class Failure extends Exception {
        final int code;

        Failure(int code, String m) {
            super(m);
            this.code = code;
        }
    }

    Map<String, Object> get(String path) throws Failure {
        return call(HttpRequest.newBuilder(uri(path)).GET(), MARGIN);
    }

    /** A POST of {@code body}; {@code waiting} is how long the server was asked to wait, if it was. */
    Map<String, Object> post(String path, Map<String, Object> body, Duration waiting) throws Failure {
        return call(withBody(path, "POST", body), waiting == null ? MARGIN : waiting.plus(MARGIN));
    }

    /** A DELETE with a JSON body (the API's removal takes how long to wait for requests in flight). */
    Map<String, Object> delete(String path, Map<String, Object> body, Duration waiting) throws Failure {
        return call(withBody(path, "DELETE", body), waiting.plus(MARGIN));
    }

    private HttpRequest.Builder withBody(String path, String method, Map<String, Object> body) {
        return HttpRequest.newBuilder(uri(path))
                .header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(Json.write(body)));
    }

    private URI uri(String path) {
        String host = admin.getHostString();
        return URI.create("http://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + admin.getPort() + path);
    }

    private String where() {
        return admin.getHostString() + ":" + admin.getPort();
    }

    private Map<String, Object> call(HttpRequest.Builder b, Duration requestTimeout) throws Failure {
        if (token != null && !token.isEmpty()) {
            b.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> r;
        try {
            r = client.send(b.timeout(requestTimeout).build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (ConnectException e) {
            throw new Failure(Ctl.UNREACHABLE, "cannot reach the admin API at " + where()
                    + " (is Kodiak running? set --admin or KODIAK_ADMIN)");
        } catch (HttpTimeoutException e) {
            throw new Failure(Ctl.UNREACHABLE, "the admin API at " + where() + " did not answer in time");
        } catch (IOException e) {
            throw new Failure(Ctl.UNREACHABLE, "admin API at " + where() + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Failure(Ctl.UNREACHABLE, "interrupted");
        }
        Object body;
        try {
            body = Json.parse(r.body());
        } catch (Json.ParseException e) {
            throw new Failure(Ctl.REFUSED, "HTTP " + r.statusCode() + " with a body that is not JSON: " + abbreviate(r.body()));
        }
        if (r.statusCode() / 100 != 2) { // 202: a drain by address kept as a preset
            String msg = body instanceof Map<?, ?> m && m.get("error") != null ? String.valueOf(m.get("error")) : abbreviate(r.body());
            throw new Failure(Ctl.REFUSED, msg + " (HTTP " + r.statusCode() + ")");
        }
        if (!(body instanceof Map<?, ?>)) {
            throw new Failure(Ctl.REFUSED, "unexpected answer: " + abbreviate(r.body()));
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) body;
        return m;
    }

    private static String abbreviate(String s) {
        s = s.strip();
        return s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }
}
