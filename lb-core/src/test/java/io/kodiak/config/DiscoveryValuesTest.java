package io.kodiak.config;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The value syntaxes of discovery entries, edge cases the file-level tests do not reach. */
class DiscoveryValuesTest {
    private static void refused(Function<String, ?> parser, String text, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> parser.apply(text));
        assertEquals(expected, e.getMessage());
    }

    @Test
    void nameserverForms() throws Exception {
        assertEquals(new InetSocketAddress(InetAddress.getByName("10.0.0.2"), 53), DiscoveryValues.nameserver("10.0.0.2"));
        assertEquals(new InetSocketAddress(InetAddress.getByName("10.0.0.2"), 5353), DiscoveryValues.nameserver("10.0.0.2:5353"));
        assertEquals(new InetSocketAddress(InetAddress.getByName("fd00::1"), 53), DiscoveryValues.nameserver("fd00::1"));
        assertEquals(new InetSocketAddress(InetAddress.getByName("fd00::1"), 53), DiscoveryValues.nameserver("[fd00::1]"));
        assertEquals(new InetSocketAddress(InetAddress.getByName("fd00::1"), 5300), DiscoveryValues.nameserver("[fd00::1]:5300"));
        assertEquals("[fd00::1]:5300", DiscoveryValues.format(DiscoveryValues.nameserver("[fd00::1]:5300")));
        assertEquals("127.0.0.11:53", DiscoveryValues.format(DiscoveryValues.nameserver("127.0.0.11")));
        refused(DiscoveryValues::nameserver, "ns1", "\"ns1\" is not an IP address (a nameserver named by a name would need DNS to find DNS)");
        refused(DiscoveryValues::nameserver, "10.0.0.2:", "\"10.0.0.2:\" is not host:port (port must be 1-65535)");
        refused(DiscoveryValues::nameserver, "[fd00::1]:x", "\"[fd00::1]:x\" is not host:port (port must be 1-65535)");
    }

    @Test
    void srvNamesNeedTheirTwoUnderscoreLabels() {
        assertEquals("_http._tcp.app.internal", DiscoveryValues.srvName("_http._tcp.app.internal"));
        assertEquals("_sip._udp.example.", DiscoveryValues.srvName("_sip._udp.example."));
        for (String bad : new String[] {"_http.app.internal", "http._tcp.app", "_._tcp.app", "_http._tcp", "app.internal"}) {
            refused(DiscoveryValues::srvName, bad, Values.quote(bad)
                    + " is not an SRV name (_SERVICE._PROTO.NAME, e.g. _http._tcp.app.internal)");
        }
    }

    @Test
    void unixPathsAreAbsoluteShortAndNamedByTheirFile() {
        assertTrue(DiscoveryValues.isUnix("unix:/run/g.sock"));
        assertFalse(DiscoveryValues.isUnix("unixhost:80"));
        assertEquals("/run/g.sock", DiscoveryValues.unixPath("unix:/run/g.sock"));
        String longest = "/" + "a".repeat(DiscoveryValues.MAX_UNIX_PATH_BYTES - 1);
        assertEquals(longest, DiscoveryValues.unixPath("unix:" + longest));
        // Bytes, not characters: "é" is two bytes of UTF-8.
        String wide = "/" + "é".repeat(54);
        refused(DiscoveryValues::unixPath, "unix:" + wide, "\"unix:" + wide + "\": the socket path is 109 bytes;"
                + " a Unix socket's path holds at most 107");
        assertEquals("unix:g.sock", DiscoveryValues.unixName("/run/g.sock"));
        refused(DiscoveryValues::unixName, "/", "\"unix:/\" cannot serve as the default name (use 1-100 letters, digits"
                + " and . _ - : [ ]); set name:");
    }

    @Test
    void kubernetesNames() {
        assertEquals("web-1", DiscoveryValues.kubernetesService("web-1"));
        refused(DiscoveryValues::kubernetesService, "1web", "\"1web\" is not a Service name (1-63 lower-case letters,"
                + " digits and '-', starting with a letter)");
        refused(DiscoveryValues::kubernetesService, "web-", "\"web-\" is not a Service name (1-63 lower-case letters,"
                + " digits and '-', starting with a letter)");
        assertEquals("1shop", DiscoveryValues.kubernetesNamespace("1shop"));
        refused(DiscoveryValues::kubernetesNamespace, "x".repeat(64), "\"" + "x".repeat(64)
                + "\" is not a namespace (1-63 lower-case letters, digits and '-')");
        assertEquals("http", DiscoveryValues.kubernetesPort("http"));
        assertEquals("8000", DiscoveryValues.kubernetesPort("8000"));
        assertEquals("h2c-9", DiscoveryValues.kubernetesPort("h2c-9"));
        for (String bad : new String[] {"my--port", "-http", "a-very-long-port-name", "http_1"}) {
            refused(DiscoveryValues::kubernetesPort, bad, Values.quote(bad) + " is not a port name (1-15 lower-case letters,"
                    + " digits and '-', at least one letter) or number");
        }
        refused(DiscoveryValues::kubernetesPort, "0", "\"0\" is not a port (1-65535)");
        refused(DiscoveryValues::kubernetesPort, "123456", "\"123456\" is not a port (1-65535)");
    }
}
