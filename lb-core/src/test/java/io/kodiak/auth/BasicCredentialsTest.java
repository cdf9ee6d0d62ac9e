package io.kodiak.auth;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The Authorization field's Basic credentials (RFC 7617), and everything that is not one. */
class BasicCredentialsTest {
    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void userAndPasswordSplitAtTheFirstColon() {
        BasicCredentials c = BasicCredentials.parse("Basic " + b64("demo:pa:ss"));
        assertEquals("demo", c.user());
        assertArrayEquals("pa:ss".getBytes(StandardCharsets.US_ASCII), c.password());
        assertEquals("", BasicCredentials.parse("basic " + b64(":")).user());
        assertEquals("émile", BasicCredentials.parse("BASIC\t " + b64("émile:x") + " ").user());
        assertArrayEquals(new byte[0], BasicCredentials.parse("Basic " + b64("u:")).password());
    }

    @Test
    void anythingElseIsNoCredentials() {
        assertNull(BasicCredentials.parse(null));
        assertNull(BasicCredentials.parse(""));
        assertNull(BasicCredentials.parse("Basic"));
        assertNull(BasicCredentials.parse("Basic "));
        assertNull(BasicCredentials.parse("Basic" + b64("u:p")), "no space after the scheme");
        assertNull(BasicCredentials.parse("Bearer " + b64("u:p")));
        assertNull(BasicCredentials.parse("Basic " + b64("nocolon")));
        assertNull(BasicCredentials.parse("Basic not*base64"));
        assertNull(BasicCredentials.parse("Basic " + b64("u:p") + " extra"));
        assertNull(BasicCredentials.parse("Basic " + b64("u:" + "p".repeat(1100))), "over the bound");
        assertEquals("u", BasicCredentials.parse("Basic " + b64("u:" + "p".repeat(1000))).user(), "under it");
    }

    @Test
    void thePasswordIsNeverPrinted() {
        assertEquals("BasicCredentials[demo, password hidden]", BasicCredentials.parse("Basic " + b64("demo:secret")).toString());
    }
}
