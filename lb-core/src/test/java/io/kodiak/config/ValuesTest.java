package io.kodiak.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The value syntaxes shared by the file and quick mode. */
class ValuesTest {
    private static String problem(Runnable parse) {
        return assertThrows(IllegalArgumentException.class, parse::run).getMessage();
    }

    @Test
    void durations() {
        assertEquals(Duration.ofMillis(500), Values.duration("500ms"));
        assertEquals(Duration.ofSeconds(10), Values.duration("10s"));
        assertEquals(Duration.ofMinutes(2), Values.duration("2m"));
        assertEquals(Duration.ofHours(1), Values.duration("1h"));
    }

    @Test
    void durationProblems() {
        assertEquals("\"10\" has no unit (units are required: ms, s, m, h)", problem(() -> Values.duration("10")));
        assertEquals("\"0ms\" must be greater than 0", problem(() -> Values.duration("0ms")));
        assertEquals("\"-5s\" must be greater than 0", problem(() -> Values.duration("-5s")));
        assertEquals("\"1.5s\" is not a duration (use e.g. 500ms, 10s, 2m, 1h)", problem(() -> Values.duration("1.5s")));
        assertEquals("\"10 s\" is not a duration (use e.g. 500ms, 10s, 2m, 1h)", problem(() -> Values.duration("10 s")));
        assertEquals("\"1d\" is not a duration (use e.g. 500ms, 10s, 2m, 1h)", problem(() -> Values.duration("1d")));
        assertEquals("\"99999999999999999999s\" is too large", problem(() -> Values.duration("99999999999999999999s")));
        assertEquals("\"9223372036854775807h\" is too large", problem(() -> Values.duration("9223372036854775807h")));
    }

    @ParameterizedTest
    @CsvSource({
            "512, 512",
            "64KiB, 65536", "64k, 65536", "64K, 65536", "64KB, 65536",
            "100MiB, 104857600", "100m, 104857600", "100M, 104857600", "100MB, 104857600",
            "1GiB, 1073741824", "1g, 1073741824", "1G, 1073741824", "1GB, 1073741824",
    })
    void sizes(String text, long bytes) {
        assertEquals(bytes, Values.size(text, Long.MAX_VALUE));
    }

    @Test
    void sizeProblems() {
        assertEquals("\"-1\" must not be negative", problem(() -> Values.size("-1", Long.MAX_VALUE)));
        assertEquals("\"0\" must be greater than 0", problem(() -> Values.size("0", Long.MAX_VALUE)));
        assertEquals("\"8GiB\" is too large (at most 4294967295 bytes)", problem(() -> Values.size("8GiB", 0xffffffffL)));
        assertEquals("\"99999999999999999999\" is too large (at most 9223372036854775807 bytes)",
                problem(() -> Values.size("99999999999999999999", Long.MAX_VALUE)));
        assertEquals("\"1kib\" is not a size (use bytes or a unit: 512, 64KiB, 100MiB, 1GiB; k, M, GB also work)",
                problem(() -> Values.size("1kib", Long.MAX_VALUE)));
        assertEquals(Long.MAX_VALUE / 1024 * 1024, Values.size(Long.MAX_VALUE / 1024 + "K", Long.MAX_VALUE),
                "the largest multiple still fits");
    }

    @Test
    void upstreamAddresses() {
        assertEquals(new Values.HostPort("10.0.0.1", 9001), Values.upstreamAddress("10.0.0.1:9001"));
        assertEquals(new Values.HostPort("app_1.svc", 80), Values.upstreamAddress("app_1.svc:80"));
        assertEquals(new Values.HostPort("::1", 9001), Values.upstreamAddress("[::1]:9001"));
        assertEquals("[::1]:9001", Values.upstreamAddress("[::1]:9001").toString());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "10.0.0.1:99999 | \"10.0.0.1:99999\" is not host:port (port must be 1-65535)",
            "10.0.0.1:0     | \"10.0.0.1:0\" is not host:port (port must be 1-65535)",
            "10.0.0.1:http  | \"10.0.0.1:http\" is not host:port (port must be 1-65535)",
            "10.0.0.1       | \"10.0.0.1\" is not host:port (the port is missing)",
            ":9001          | \":9001\" is not host:port (the host is missing)",
            "::1:9001       | \"::1:9001\" is not host:port (write IPv6 addresses in brackets: [::1]:8080)",
            "[::1]9001      | \"[::1]9001\" is not host:port (use host:port, [ipv6]:port)",
            "[10.0.0.1]:80  | \"[10.0.0.1]:80\" is not host:port (brackets are for IPv6 only)",
            "[::g]:80       | \"[::g]:80\" is not host:port (\"::g\" is not a valid IP address)",
            "10.0.0.256:80  | \"10.0.0.256:80\" is not host:port (\"10.0.0.256\" is not a valid IPv4 address)",
            "a b:80         | \"a b:80\" is not host:port (\"a b\" is not a valid host name)",
            "http://a:80    | \"http://a:80\" is not host:port (leave out the scheme)",
    })
    void upstreamAddressProblems(String text, String expected) {
        assertEquals(expected, problem(() -> Values.upstreamAddress(text)));
    }

    @Test
    void listenAddresses() throws Exception {
        assertEquals(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 8080),
                Values.listenAddress("127.0.0.1:8080"));
        assertEquals(new InetSocketAddress(InetAddress.getByName("::1"), 0), Values.listenAddress("[::1]:0"));
        InetSocketAddress any = Values.listenAddress(":8080");
        assertTrue(any.getAddress().isAnyLocalAddress());
        assertEquals(8080, any.getPort());
        InetSocketAddress localhost = Values.listenAddress("localhost:8080");
        assertFalse(localhost.isUnresolved());
        assertEquals("\"127.0.0.1:-1\" is not host:port (port must be 0-65535)",
                problem(() -> Values.listenAddress("127.0.0.1:-1")));
    }

    @Test
    void strategies() {
        assertEquals(PoolConfig.Strategy.ROUND_ROBIN, Values.strategy("round-robin"));
        assertEquals("\"roundrobin\" is not a strategy (valid: round-robin, least-connections, latency-weighted, consistent-hash)", problem(() -> Values.strategy("roundrobin")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"web", "web-2", "api_v1", "127.0.0.1:9001", "[::1]:9001"})
    void validNames(String name) {
        assertEquals(name, Values.name(name));
    }

    @ParameterizedTest
    @ValueSource(strings = {"my pool", "web/1", "a,b", "x=y", "caf\u00e9", ""})
    void invalidNames(String name) {
        assertEquals(Values.quote(name) + " is not a valid name (use 1-100 letters, digits and . _ - : [ ])",
                problem(() -> Values.name(name)));
    }

    @Test
    void anAddressThatCannotBeAName() {
        assertEquals("\"[fe80::1%eth0]:80\" cannot serve as the default name"
                + " (use 1-100 letters, digits and . _ - : [ ]); set name:",
                problem(() -> Values.defaultName("[fe80::1%eth0]:80")));
    }

    @Test
    void fieldValues() {
        assertEquals("text/html; charset=utf-8", Values.fieldValue("text/html; charset=utf-8"));
        assertEquals("\" x\" has leading or trailing whitespace", problem(() -> Values.fieldValue(" x")));
        assertEquals("\"caf\u00e9\" is not a valid header value (only printable ASCII characters are allowed)",
                problem(() -> Values.fieldValue("caf\u00e9")));
    }
}
