package io.kodiak.route;

import io.kodiak.config.RedirectConfig;
import io.kodiak.config.RewriteConfig;
import io.kodiak.filter.RequestFilter;
import io.kodiak.filter.RequestVariables;
import io.kodiak.filter.Template;
import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Rewrites and redirects with the groups of a route's {@code path-regex} ({@code $1},
 * {@code ${name}}), which routes give once regex matching is in: a fake request hands the filter
 * the match, as {@code RequestContext.pathMatch()} will.
 */
class RouteFiltersTest {
    private static final String USERS = "^/u/(?<id>[^/]+)/(.*)$";
    private static final Set<String> GROUPS = Set.of("1", "2", "id");

    private static Template t(String text) {
        return Template.parse(text, RequestVariables.NAMES, GROUPS);
    }

    private static RewriteFilter rewritePath(String path, String query) {
        return new RewriteFilter(new RewriteConfig(null, null, null, t(path), query == null ? null : t(query), null, false));
    }

    @Test
    void aPathFromCapturesKeepsTheQueryUnlessOneIsSet() throws Exception {
        FakeRequest r = FakeRequest.get("/u/42/photos/7?size=big", USERS);
        assertEquals(RequestFilter.Verdict.CONTINUE, rewritePath("/users/${id}/$2", null).onRequest(r));
        assertEquals("/users/42/photos/7?size=big", r.target);
        r = FakeRequest.get("/u/42/x?size=big", USERS);
        rewritePath("/users/$1", "user=$1&$args").onRequest(r);
        assertEquals("/users/42?user=42&size=big", r.target);
    }

    @Test
    void capturedTextIsEncodedAndDotSegmentsResolved() throws Exception {
        // %3F stays encoded in the normalised path, so a '?' can never start a query from a capture.
        FakeRequest r = FakeRequest.get("/u/a%3Fb/%20x", USERS);
        rewritePath("/users/$1/$2", null).onRequest(r);
        assertEquals("/users/a%3Fb/%20x", r.target);
        r = FakeRequest.get("/u/..%2F/x", USERS);
        rewritePath("/users/$1/../$2", null).onRequest(r);
        assertEquals("/users/x", r.target);
    }

    @Test
    void aPathThatClimbsAboveTheRootIsAnswered400() throws Exception {
        FakeRequest r = FakeRequest.get("/u/7/x", USERS);
        assertEquals(RequestFilter.Verdict.RESPONDED, rewritePath("/../../$1", null).onRequest(r));
        assertEquals(400, r.status);
        assertNull(r.target);
    }

    @Test
    void aPathFormThatDoesNotApplyLeavesTheTargetByteExact() throws Exception {
        FakeRequest r = FakeRequest.get("/other/%7e?a=b", null);
        new RewriteFilter(new RewriteConfig("/api", null, null, null, null, null, false)).onRequest(r);
        assertNull(r.target, "not rewritten: the client's bytes go upstream");
        new RewriteFilter(new RewriteConfig(null, "/old/", "/new/", null, null, null, false)).onRequest(r);
        assertNull(r.target);
        assertTrue(!r.hostRewritten);
    }

    @Test
    void hostForms() throws Exception {
        FakeRequest r = FakeRequest.get("/a", null);
        new RewriteFilter(new RewriteConfig(null, null, null, null, null, null, true)).onRequest(r);
        assertTrue(r.hostRewritten);
        assertNull(r.host, "null: the upstream's, per attempt");
        r = FakeRequest.get("/a", null);
        new RewriteFilter(new RewriteConfig(null, null, null, null, null, "api.internal", false)).onRequest(r);
        assertEquals("api.internal", r.host);
    }

    @Test
    void redirectWithCaptures() throws Exception {
        FakeRequest r = FakeRequest.get("/u/42/p?x=1", USERS);
        RedirectFilter f = new RedirectFilter(new RedirectConfig(t("https://new.example/people/${id}/$2"), 301));
        assertEquals(RequestFilter.Verdict.RESPONDED, f.onRequest(r));
        assertEquals(301, r.status);
        assertEquals("https://new.example/people/42/p?x=1", f.location(r));
        assertTrue(r.fields.addedLines().startsWith("Location: https://new.example/people/42/p?x=1"), r.fields.addedLines());
    }

    @Test
    void redirectNeverEmitsControlCharactersOrSpaces() throws Exception {
        FakeRequest r = new FakeRequest("GET /u/a/b HTTP/1.1\r\nHost: t\r\nX-Next: /x\u00ff y\t\r\n\r\n", USERS);
        RedirectFilter f = new RedirectFilter(new RedirectConfig(t("$http_x_next"), 302));
        assertEquals("/x%C3%BF%20y", f.location(r), "trailing whitespace is not part of a field value");
        for (char c : f.location(r).toCharArray()) {
            assertTrue(c > 0x20 && c < 0x7f, f.location(r));
        }
    }
}
