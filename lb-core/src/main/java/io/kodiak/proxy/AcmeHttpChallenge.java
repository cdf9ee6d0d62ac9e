package io.kodiak.proxy;

import io.kodiak.acme.Challenges;
import io.kodiak.filter.RequestContext;
import io.kodiak.filter.RequestFilter;

import java.nio.charset.StandardCharsets;

/**
 * Answers ACME HTTP-01 validations on a plain listener (RFC 8555 section 8.3): a GET of
 * {@code /.well-known/acme-challenge/TOKEN} for a token being validated now gets its key
 * authorization. It runs first among the listener's filters, so {@code redirect-https} does not
 * send the CA away (Caddy and certbot's webroot do the same). Any other request, and a token not
 * being validated, goes on as usual: a site may serve its own challenges from its upstreams.
 *
 * <p>Stateless; any selector thread.
 */
final class AcmeHttpChallenge implements RequestFilter {
    private final Challenges challenges;

    AcmeHttpChallenge(Challenges challenges) {
        this.challenges = challenges;
    }

    @Override
    public Verdict onRequest(RequestContext request) {
        String path = request.head().path();
        if (!path.startsWith(Challenges.HTTP_PREFIX) || !challenges.anyHttp()) {
            return Verdict.CONTINUE;
        }
        String method = request.head().method();
        String answer = challenges.httpAnswer(path.substring(Challenges.HTTP_PREFIX.length()));
        if (answer == null || !(method.equals("GET") || method.equals("HEAD"))) {
            return Verdict.CONTINUE;
        }
        request.respond(200, "application/octet-stream", answer.getBytes(StandardCharsets.US_ASCII), null);
        return Verdict.RESPONDED;
    }

    @Override
    public String toString() {
        return "acme-http-01";
    }
}
