package io.kodiak.proxy;

import io.kodiak.balancer.ConsistentHash;
import io.kodiak.config.HashConfig;
import io.kodiak.http.HeadParser;
import io.kodiak.http.RequestHead;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;

class HashKeysTest {
    private static RequestHead req(String fields) throws Exception {
        return HeadParser.parseRequest(("GET / HTTP/1.1\r\nHost: x\r\n" + fields + "\r\n").getBytes(StandardCharsets.US_ASCII), 100);
    }

    @Test
    void headerCookieAndClientIpKeys() throws Exception {
        RequestHead r = req("X-User: alice\r\nCookie: a=1; session=s3cr3t; b=2\r\n");
        assertEquals(ConsistentHash.hash("alice"), HashKeys.of(new HashConfig(HashConfig.Source.HEADER, "x-user", 125), r, "10.0.0.1"));
        assertEquals(ConsistentHash.hash("s3cr3t"), HashKeys.of(new HashConfig(HashConfig.Source.COOKIE, "session", 125), r, "10.0.0.1"));
        assertEquals(ConsistentHash.hash("10.0.0.1"), HashKeys.of(HashConfig.DEFAULTS, r, "10.0.0.1"));
    }

    @Test
    void aMissingHeaderOrCookieFallsBackToTheClientAddress() throws Exception {
        RequestHead r = req("Cookie: other=1\r\n");
        assertEquals(ConsistentHash.hash("10.0.0.9"), HashKeys.of(new HashConfig(HashConfig.Source.HEADER, "x-user", 125), r, "10.0.0.9"));
        assertEquals(ConsistentHash.hash("10.0.0.9"), HashKeys.of(new HashConfig(HashConfig.Source.COOKIE, "session", 125), r, "10.0.0.9"));
    }

    @Test
    void cookiesAcrossSeveralFieldsAndNamesThatArePrefixesOfOthers() throws Exception {
        RequestHead r = req("Cookie: sessionid=no\r\nCookie: session=yes\r\n");
        assertEquals("yes", HashKeys.cookie(r.fields(), "session"));
    }
}
