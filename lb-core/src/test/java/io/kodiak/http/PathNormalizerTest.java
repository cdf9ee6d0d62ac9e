package io.kodiak.http;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The path routes compare with: RFC 3986 §5.2.4 and §6.2.2.1-2, slashes merged, %2F kept. */
class PathNormalizerTest {

    @ParameterizedTest
    @ValueSource(strings = {"/", "/v1/", "/v1/x", "/a.b/c.d", "/.well-known/x", "/a/.b/..c/...", "/a..", "/~u;p=1,2",
        "*"})
    void aPathWithNothingToDoIsReturnedWithoutACopy(String path) throws HttpException {
        assertSame(path, PathNormalizer.normalize(path));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        // dot segments (§5.2.4)
        "/v1/./x,           /v1/x",
        "/v1/../x,          /x",
        "/v1/x/..,          /v1/",
        "/v1/x/.,           /v1/x/",
        "/v1/..,            /",
        "/.,                /",
        "/a/b/c/../../d,    /a/d",
        "/a/./b/../../c/,   /c/",
        // percent-encoded dots are dots
        "/v1/%2e%2E/x,      /x",
        "/v1/.%2e/x,        /x",
        "/v1/%2E./x,        /x",
        "/v1/%2e/x,         /v1/x",
        "/v1/%2e%2e,        /",
        // unreserved characters decoded, hex case-insensitive (§6.2.2.2)
        "/%761/x,           /v1/x",
        "/%41%7e%7E%2d%5F,  /A~~-_",
        "/%30%39%61%7A,     /09az",
        // every other encoding kept, its hex upper-cased (§6.2.2.1); %2F is never a separator
        "/a%2fb,            /a%2Fb",
        "/v1/..%2Fadmin,    /v1/..%2Fadmin",
        "/v1/%2e%2e%2fadmin, /v1/..%2Fadmin",
        "/%20%c3%a9%25%3f,  /%20%C3%A9%25%3F",
        "/%252e%252e/x,     /%252e%252e/x",
        // slashes merged, as nginx's merge_slashes
        "/v1//x,            /v1/x",
        "//v1///x//,        /v1/x/",
        "//,                /",
        "/a/..//b,          /b",
        "/a//b/../c,        /a/c",
    })
    void normalises(String path, String expected) throws HttpException {
        assertEquals(expected, PathNormalizer.normalize(path));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/%zz", "/%4", "/a%", "/%4g/x", "/%g4", "/%%41", "/a/%2", "/%\u00e9\u00e9"})
    void aMalformedPercentEncodingIs400(String path) {
        assertEquals(400, assertThrows(HttpException.class, () -> PathNormalizer.normalize(path)).status());
    }

    @ParameterizedTest
    @ValueSource(strings = {"/..", "/../x", "/a/../../x", "/%2e%2e/x", "/./../x", "/a/b/../../.."})
    void aPathThatClimbsAboveTheRootIs400(String path) {
        assertEquals(400, assertThrows(HttpException.class, () -> PathNormalizer.normalize(path)).status());
    }

    /** RFC 3986 removes the empty segment, nginx the one before it: the two would route apart. */
    @ParameterizedTest
    @ValueSource(strings = {"/a//..", "/v1//../admin", "/a/.//../b", "/a//b/../../c", "/a//%2e%2e/b"})
    void aDotDotThatWouldRemoveAnEmptySegmentIs400(String path) {
        assertEquals(400, assertThrows(HttpException.class, () -> PathNormalizer.normalize(path)).status());
    }

    @Test
    void theParserRoutesOnTheNormalisedPathAndKeepsTheTargetAsReceived() throws HttpException {
        RequestHead r = Wire.request(Wire.head("GET /v1/%2e%2E/admin?next=/v1/../x HTTP/1.1", "Host: a"));
        assertEquals("/admin", r.path());
        assertEquals("/v1/%2e%2E/admin?next=/v1/../x", r.target());

        RequestHead abs = Wire.request(Wire.head("GET http://a/%761/./x?q HTTP/1.1", "Host: a"));
        assertEquals("/v1/x", abs.path());
        assertEquals("/%761/./x?q", abs.target());
    }

    @Test
    void theQueryIsNotChecked() throws HttpException {
        assertEquals("/p", Wire.request(Wire.head("GET /p?%zz=/../.. HTTP/1.1", "Host: a")).path());
    }

    @ParameterizedTest
    @ValueSource(strings = {"GET /../x HTTP/1.1", "GET /a%zz HTTP/1.1", "GET http://a/%2e%2e/ HTTP/1.1"})
    void theParserRefusesWhatTheNormaliserRefuses(String requestLine) {
        assertEquals(400, Wire.requestStatus(Wire.head(requestLine, "Host: a")));
    }
}
