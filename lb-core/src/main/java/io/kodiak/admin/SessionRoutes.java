package io.kodiak.admin;

import org.glassfish.grizzly.http.server.Request;
import org.glassfish.grizzly.http.server.Response;

/**
 * {@code /v1/session}: the status page logs in with the admin token once and gets a session cookie
 * and a CSRF token (issue 19 step 0: builder B fills this in).
 */
final class SessionRoutes {
    private final String token;

    SessionRoutes(String token) {
        this.token = token;
    }

    void route(Request req, Response resp, String method, boolean openReads) throws Refused {
        throw new Refused(404, "no sessions yet");
    }
}
