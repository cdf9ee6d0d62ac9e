package io.kodiak.proxy;

import io.kodiak.filter.RequestContext;
import io.kodiak.filter.RequestFilter;
import io.kodiak.http.FieldEdits;
import io.kodiak.http.RequestHead;

import java.nio.charset.StandardCharsets;

/**
 * A plain listener's {@code redirect-https}: every request is answered 308 (Permanent Redirect,
 * which keeps the method and body, unlike 301) to the same host and target over HTTPS, as Caddy
 * does and as nginx's {@code return 301 https://$host$request_uri} is meant to. The HTTPS port is
 * left out of the location when it is 443.
 *
 * <p>Stateless; any selector thread.
 */
final class HttpsRedirect implements RequestFilter {
    private final int httpsPort;

    HttpsRedirect(int httpsPort) {
        this.httpsPort = httpsPort;
    }

    @Override
    public Verdict onRequest(RequestContext request) {
        RequestHead head = request.head();
        String host = head.host();
        if (host.isEmpty()) {
            request.respond(400, LocalAnswers.TEXT,
                    "400 Bad Request: no Host to redirect to HTTPS\n".getBytes(StandardCharsets.US_ASCII), null);
            return Verdict.RESPONDED;
        }
        if (host.indexOf(':') >= 0 && !host.startsWith("[")) {
            host = "[" + host + "]"; // an IPv6 literal
        }
        String location = "https://" + host + (httpsPort == 443 ? "" : ":" + httpsPort) + head.target();
        byte[] body = ("308 Permanent Redirect: " + location + "\n").getBytes(StandardCharsets.ISO_8859_1);
        request.respond(308, LocalAnswers.TEXT, body, new FieldEdits().add("Location", location));
        return Verdict.RESPONDED;
    }

    @Override
    public String toString() {
        return "redirect-https(" + httpsPort + ")";
    }
}
