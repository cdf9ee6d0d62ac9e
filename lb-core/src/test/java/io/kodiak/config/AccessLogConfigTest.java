package io.kodiak.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static io.kodiak.config.ConfigLoaderRejectionTest.ONE_POOL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A listener's {@code access-log}: the short forms and the mapping as read, and every rejection
 * with its {@code FILE:LINE: KEY.PATH: problem}.
 */
class AccessLogConfigTest {
    private static final Path FILE = Path.of("kodiak.yaml");

    @TempDir
    Path dir;

    /** One listener on line 2 with {@code accessLog} as its access-log value, in flow style. */
    private static String oneLine(String accessLog) {
        return "listeners:\n  - {name: l, address: 127.0.0.1:0, access-log: " + accessLog + "}\n" + ONE_POOL;
    }

    /** One listener whose access-log mapping starts on line 4, one key a line from line 5. */
    private static String block(String... lines) {
        StringBuilder y = new StringBuilder("listeners:\n  - name: l\n    address: 127.0.0.1:0\n    access-log:\n");
        for (String l : lines) {
            y.append("      ").append(l).append('\n');
        }
        return y.append(ONE_POOL).toString();
    }

    private static AccessLogConfig read(String yaml) throws ConfigException {
        return ConfigLoader.parse(yaml, FILE).listeners().get(0).accessLog();
    }

    private static void assertRejected(String yaml, String expected) {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(yaml, FILE));
        assertEquals(expected, e.getMessage());
    }

    @Test
    void offByDefaultAndShortFormsTakeCombinedAndTheDefaultBuffer() throws Exception {
        assertNull(ConfigLoader.parse("listeners: [{address: 127.0.0.1:0}]\n" + ONE_POOL, FILE).listeners().get(0).accessLog());
        assertNull(read(oneLine("off")));
        assertEquals(AccessLogConfig.STDOUT, read(oneLine("stdout")));
        Path log = dir.resolve("access.log");
        assertEquals(new AccessLogConfig(AccessLogConfig.Kind.FILE, log, null, "combined", null, 16384), read(oneLine(log.toString())));
        assertEquals(new AccessLogConfig(AccessLogConfig.Kind.SYSLOG_UDP, null, new Values.HostPort("127.0.0.1", 514), "combined",
                "local7", 16384), read(oneLine("syslog://127.0.0.1")));
        assertEquals(new Values.HostPort("::1", 1514), read(oneLine("'syslog://[::1]:1514'")).address());
        assertEquals(new AccessLogConfig(AccessLogConfig.Kind.SYSLOG_UNIX, Path.of("/run/syslog.sock"), null, "combined",
                "local7", 16384), read(oneLine("syslog:///run/syslog.sock")));
    }

    @Test
    void theMappingSetsFormatFacilityAndBuffer() throws Exception {
        Path log = dir.resolve("access.log");
        assertEquals(new AccessLogConfig(AccessLogConfig.Kind.FILE, log, null, "json", null, 100),
                read(block("target: " + log, "format: json", "buffer: 100")));
        assertEquals(new AccessLogConfig(AccessLogConfig.Kind.SYSLOG_UDP, null, new Values.HostPort("logs.internal", 514),
                "$remote_addr $status $request_id", "local0", 16384),
                read(block("target: syslog://logs.internal", "format: '$remote_addr $status $request_id'", "facility: local0")));
        assertEquals("file " + log, read(block("target: " + log)).destination());
    }

    @Test
    void everyListenerHasItsOwnAndTwoMayNameOneFile() throws Exception {
        Path log = dir.resolve("access.log");
        KodiakConfig c = ConfigLoader.parse("listeners:\n"
                + "  - {name: a, address: 127.0.0.1:0, access-log: " + log + "}\n"
                + "  - {name: b, address: 127.0.0.1:0, access-log: {target: " + log + ", format: json}}\n"
                + "  - {name: c, address: 127.0.0.1:0}\n" + ONE_POOL, FILE);
        assertEquals(log, c.listeners().get(0).accessLog().path());
        assertEquals("json", c.listeners().get(1).accessLog().format());
        assertNull(c.listeners().get(2).accessLog());
    }

    @Test
    void badTargetsAreRejectedWithTheKey() {
        assertRejected(oneLine("logs/access.log"), "kodiak.yaml:2: listeners[0].access-log: \"logs/access.log\" is a relative path:"
                + " write the file's absolute path (as logrotate's configuration will), e.g. /var/log/kodiak/access.log");
        assertRejected(oneLine("stderr"), "kodiak.yaml:2: listeners[0].access-log: \"stderr\" is not an access log target"
                + " (expected stdout, an absolute file path, syslog://HOST[:PORT] or syslog:///SOCKET-PATH)");
        assertRejected(oneLine("'tcp://127.0.0.1:514'"), "kodiak.yaml:2: listeners[0].access-log: \"tcp://127.0.0.1:514\" is not"
                + " an access log target (expected stdout, an absolute file path, syslog://HOST[:PORT] or syslog:///SOCKET-PATH)");
        assertRejected(oneLine("'syslog://127.0.0.1:99999'"), "kodiak.yaml:2: listeners[0].access-log: \"syslog://127.0.0.1:99999\""
                + " is not syslog://HOST[:PORT]: \"127.0.0.1:99999\" is not host:port (port must be 1-65535)");
        assertRejected(oneLine("true"), "kodiak.yaml:2: listeners[0].access-log: \"true\" is a relative path: write the file's"
                + " absolute path (as logrotate's configuration will), e.g. /var/log/kodiak/access.log");
        assertRejected(oneLine("[stdout]"), "kodiak.yaml:2: listeners[0].access-log: expected a mapping, got a list");
        assertRejected(block("format: json"), "kodiak.yaml:5: listeners[0].access-log.target: required key is missing");
        assertRejected(block("target: off"),
                "kodiak.yaml:5: listeners[0].access-log.target: \"off\" is not a target: to log nothing, write access-log: off");
        assertRejected(block("target: stdout", "fromat: json"), "kodiak.yaml:6: listeners[0].access-log.fromat: unknown key;"
                + " did you mean \"format\"? (allowed: target, format, facility, buffer)");
    }

    @Test
    void aFileWhoseDirectoryIsMissingOrUnwritableIsRejectedBeforeAnythingStarts() throws Exception {
        Path missing = dir.resolve("no/such/dir/access.log");
        assertRejected(oneLine(missing.toString()), "kodiak.yaml:2: listeners[0].access-log: the directory " + missing.getParent()
                + " does not exist (Kodiak does not create it; create it, writable by the user Kodiak runs as)");
        assertRejected(oneLine(dir.toString()), "kodiak.yaml:2: listeners[0].access-log: " + dir
                + " is a directory; name the log file in it, e.g. " + dir.resolve("access.log"));
        Path locked = Files.createDirectory(dir.resolve("locked"));
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            if (!Files.isWritable(locked)) { // root may write anyway: then there is nothing to refuse
                assertRejected(block("target: " + locked.resolve("access.log")), "kodiak.yaml:5: listeners[0].access-log.target:"
                        + " the directory " + locked + " is not writable by this user");
            }
        } finally {
            Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    @Test
    void devNullIsAFileToLogToWhileAFifoIsRefusedRatherThanHangingTheStart() throws Exception {
        assertEquals(Path.of("/dev/null"), read(oneLine("/dev/null")).path()); // as nginx's access_log /dev/null
        Path fifo = dir.resolve("pipe");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).redirectErrorStream(true).start();
        assertEquals(0, mkfifo.waitFor(), "mkfifo");
        assertRejected(oneLine(fifo.toString()), "kodiak.yaml:2: listeners[0].access-log: " + fifo
                + " is neither a regular file nor a device (a FIFO or socket); log to a file, stdout or syslog");
    }

    @Test
    void badFormatsFacilitiesAndBuffersAreRejectedWithTheirLine() {
        assertRejected(block("target: stdout", "format: '$remote_addr $upstream_status'"), "kodiak.yaml:6:"
                + " listeners[0].access-log.format: unknown access log variable $upstream_status; known: $remote_addr $remote_port"
                + " $realip_remote_addr $remote_user $time_local $time_iso8601 $msec $request $request_method $request_uri $server_protocol"
                + " $status $request_length"
                + " $bytes_sent $body_bytes_sent $request_time $upstream_addr $upstream_connect_time $upstream_header_time"
                + " $upstream_response_time $request_id $http_user_agent $http_referer $listener $pool $route $upstream_name $attempts"
                + " $queue_time $termination");
        assertRejected(block("target: stdout", "format: main"), "kodiak.yaml:6: listeners[0].access-log.format: unknown format"
                + " \"main\" (expected combined, json, or a template of $variables such as '$remote_addr $status $request_time')");
        assertRejected(block("target: stdout", "format: '${status'"),
                "kodiak.yaml:6: listeners[0].access-log.format: unclosed ${ at column 1 of the access log template");
        assertRejected(block("target: stdout", "facility: local7"),
                "kodiak.yaml:6: listeners[0].access-log.facility: applies to a syslog target only (this one is stdout)");
        assertRejected(block("target: syslog://127.0.0.1", "facility: local8"), "kodiak.yaml:6: listeners[0].access-log.facility:"
                + " unknown syslog facility \"local8\"; known: kern user mail daemon auth syslog lpr news uucp cron authpriv ftp"
                + " ntp audit alert clock local0 local1 local2 local3 local4 local5 local6 local7");
        assertRejected(block("target: stdout", "buffer: 32k"), "kodiak.yaml:6: listeners[0].access-log.buffer: \"32k\" is not"
                + " a number of entries (the queue holds log entries, not bytes; e.g. 16384)");
        assertRejected(block("target: stdout", "buffer: 0"),
                "kodiak.yaml:6: listeners[0].access-log.buffer: 0 is out of range (must be 1-1048576)");
    }
}
