package io.kodiak.discovery;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;

import static org.junit.jupiter.api.Assertions.assertEquals;

class IpTextTest {
    private static String of(String literal) throws Exception {
        return IpText.of(InetAddress.getByName(literal));
    }

    /** RFC 5952 section 4: lower case, no leading zeros, the longest zero run as "::" (first on a tie, never one group). */
    @Test
    void ipv6IsWrittenInItsShortForm() throws Exception {
        assertEquals("fd00::5", of("fd00:0:0:0:0:0:0:5"));
        assertEquals("::1", of("0:0:0:0:0:0:0:1"));
        assertEquals("::", of("0:0:0:0:0:0:0:0"));
        assertEquals("2001:db8::1:0:0:1", of("2001:db8:0:0:1:0:0:1"));
        assertEquals("2001:db8:0:1:1:1:1:1", of("2001:db8:0:1:1:1:1:1"));
        assertEquals("fe80::", of("fe80:0:0:0:0:0:0:0"));
        assertEquals("2001:db8::abcd", of("2001:0DB8:0000:0000:0000:0000:0000:ABCD"));
        assertEquals("[fd00::5]:8000", IpText.withPort(InetAddress.getByName("fd00::5"), 8000));
        assertEquals("10.0.0.5:8000", IpText.withPort(InetAddress.getByName("10.0.0.5"), 8000));
    }
}
