package io.kodiak.proxy;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Address literals from peers' text: exactly what the JDK reads as literals, minus zones and leading zeros, and never a name. */
class IpLiteralTest {
    @Test
    void readsIpv4AndEveryIpv6Form() throws Exception {
        for (String a : new String[] {"0.0.0.0", "192.0.2.7", "255.255.255.255", "::", "::1", "1::", "2001:db8::1",
                "2001:DB8:0:0:8:800:200C:417A", "ff01::101", "1:2:3:4:5:6:7:8", "1::8", "1:2:3:4:5:6::8",
                "::ffff:0:0", "::2:3:4:5:6:7:8", "64:ff9b::192.0.2.33", "1:2:3:4:5:6:1.2.3.4", "::1.2.3.4"}) {
            assertArrayEquals(InetAddress.getByName(a).getAddress().length == 4 && a.contains(":")
                    ? mapped(InetAddress.getByName(a).getAddress()) : InetAddress.getByName(a).getAddress(),
                    IpLiteral.parse(a), a);
        }
    }

    private static byte[] mapped(byte[] v4) {
        byte[] b = new byte[16];
        b[10] = (byte) 0xff;
        b[11] = (byte) 0xff;
        System.arraycopy(v4, 0, b, 12, 4);
        return b;
    }

    @Test
    void refusesWhatIsNotALiteral() {
        for (String a : new String[] {"", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.256", "1.2.3.4 ", "a.b.c.d", "localhost",
                "example.com", ":", ":::", ":1", "1:", "1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", "1:2:3:4:5:6:7::8",
                "fe80::1%eth0", "::1.2.3", "1:2:3:4:5:6:7:1.2.3.4", "g::1", "[::1]", "unknown", "-"}) {
            assertNull(IpLiteral.parse(a), a);
        }
    }

    @Test
    void writesAddressesAsTheTcpPeerIsWritten() throws Exception {
        assertEquals("192.0.2.7", IpLiteral.text(IpLiteral.parse("192.0.2.7")));
        assertEquals(InetAddress.getByName("2001:db8::1").getHostAddress(), IpLiteral.text(IpLiteral.parse("2001:db8::1")));
    }
}
