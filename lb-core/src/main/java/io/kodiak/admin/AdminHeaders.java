package io.kodiak.admin;

import org.glassfish.grizzly.http.server.Response;

/**
 * The security headers of everything the admin listener serves: {@link #api} for the JSON answers
 * (set by {@code AdminServer.send}), {@link #page} for the status page and its assets
 * ({@link PageAssets}).
 *
 * <p><b>Why each.</b> {@code X-Content-Type-Options: nosniff}: a browser never runs a JSON answer
 * or an asset as another type. {@code X-Frame-Options: DENY} and CSP {@code frame-ancestors 'none'}
 * (the old and the new way): no other page can frame the status page and trick a click on its
 * Drain button (clickjacking, the other attack HAProxy's {@code stats admin} is open to).
 * {@code Referrer-Policy: no-referrer}: a link out of the page does not tell the other site where
 * the admin listener is. {@code Cross-Origin-Resource-Policy: same-origin}: a page of another origin
 * cannot even load an answer into its process with a {@code <script>} or {@code <img>} tag (which
 * sends no {@code Origin} for {@link HostGuard} to refuse), where a Spectre-style read could see it.
 * The page's CSP allows only its own files: no inline script or style (an injected
 * {@code <script>} in an upstream's name would not run), no connections but to this listener, no
 * forms posted anywhere.
 */
public final class AdminHeaders {
    /** The status page's Content-Security-Policy: its own script, style and images, and connections back here only. */
    public static final String PAGE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
    /** The JSON answers' policy: nothing in them is ever to be run or framed. */
    public static final String API_CSP = "default-src 'none'; frame-ancestors 'none'";

    private AdminHeaders() {
    }

    /** The headers of a JSON answer (and of every other answer that is not the page). */
    public static void api(Response resp) {
        common(resp);
        resp.setHeader("Content-Security-Policy", API_CSP);
    }

    /** The headers of {@code GET /} and the files under {@code /assets/}. */
    public static void page(Response resp) {
        common(resp);
        resp.setHeader("Content-Security-Policy", PAGE_CSP);
    }

    private static void common(Response resp) {
        resp.setHeader("X-Content-Type-Options", "nosniff");
        resp.setHeader("X-Frame-Options", "DENY");
        resp.setHeader("Referrer-Policy", "no-referrer");
        resp.setHeader("Cross-Origin-Resource-Policy", "same-origin");
    }
}
