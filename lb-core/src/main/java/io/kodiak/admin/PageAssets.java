package io.kodiak.admin;

import org.glassfish.grizzly.http.server.Request;
import org.glassfish.grizzly.http.server.Response;

import java.util.List;

/**
 * The status page: {@code GET /} and the files under {@code /assets/}, from the jar (issue 19 step 0:
 * builder C fills this in).
 */
final class PageAssets {
    void serve(Request req, Response resp, String method, List<String> path) throws Refused {
        throw new Refused(404, "no status page yet");
    }
}
