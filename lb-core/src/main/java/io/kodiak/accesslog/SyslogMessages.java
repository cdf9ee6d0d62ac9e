package io.kodiak.accesslog;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;

/**
 * Builds RFC 5424 syslog messages around a log line:
 * {@code <190>1 2026-12-04T18:04:25.123Z HOST kodiak PID access - LINE}, severity info, facility
 * local7 by default (as nginx's {@code access_log syslog:}), no structured data. The message has no
 * UTF-8 BOM: the lines are ASCII unless a template's literals are not, and receivers such as
 * rsyslog keep a BOM as part of the text.
 *
 * <p>A message is cut at {@link #DEFAULT_MAX_BYTES} (on a UTF-8 character boundary): a UDP
 * datagram cannot be longer than 65507 bytes, receivers commonly accept 8 KiB (rsyslog's default
 * {@code maxMessageSize}), and a longer access log line is abuse anyway.
 *
 * <p>Immutable; any thread.
 */
final class SyslogMessages {
    /** RFC 5424's facility names in code order (0-23); "syslog" is 5, "clock" 15, as in nginx. */
    private static final List<String> FACILITIES = List.of("kern", "user", "mail", "daemon", "auth", "syslog",
            "lpr", "news", "uucp", "cron", "authpriv", "ftp", "ntp", "audit", "alert", "clock",
            "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7");
    static final int LOCAL7 = 23;
    static final int SEVERITY_INFO = 6;
    static final int DEFAULT_MAX_BYTES = 8 * 1024;
    private static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    private final byte[] afterTimestamp;
    private final String priority;
    private final Clock clock;
    private final int maxBytes;

    /**
     * @param facility 0-23 (16-23 are local0-local7)
     * @param hostname HOSTNAME; made printable ASCII (RFC 5424 PRINTUSASCII), {@code -} if empty
     * @param procId   PROCID, usually the process ID
     */
    SyslogMessages(int facility, String hostname, long procId, Clock clock, int maxBytes) {
        if (facility < 0 || facility > 23) {
            throw new IllegalArgumentException("syslog facility must be 0-23, not " + facility);
        }
        this.priority = "<" + (facility * 8 + SEVERITY_INFO) + ">1 ";
        this.afterTimestamp = (" " + printable(hostname, 255) + " kodiak " + procId + " access - ")
                .getBytes(StandardCharsets.US_ASCII);
        this.clock = clock;
        this.maxBytes = maxBytes;
    }

    /**
     * The facility code of {@code name} ({@code local7} is 23); IllegalArgumentException naming the
     * known ones if it is none, for the config reader to report with its file and line.
     */
    static int facility(String name) {
        int code = FACILITIES.indexOf(name);
        if (code < 0) {
            throw new IllegalArgumentException("unknown syslog facility \"" + name + "\"; known: "
                    + String.join(" ", FACILITIES));
        }
        return code;
    }

    /** Facility local7, this host's name and process ID, the system clock. */
    static SyslogMessages local() {
        return local(LOCAL7);
    }

    /** {@code facility} (0-23), this host's name and process ID, the system clock. */
    static SyslogMessages local(int facility) {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = "-";
        }
        return new SyslogMessages(facility, host, ProcessHandle.current().pid(), Clock.systemUTC(), DEFAULT_MAX_BYTES);
    }

    /** The whole message for a UTF-8 line ({@code len} bytes from {@code off}), stamped now, at most the bound, ready to read. */
    ByteBuffer encode(byte[] text, int off, int len) {
        byte[] head = (priority + TIMESTAMP.format(Instant.now(clock))).getBytes(StandardCharsets.US_ASCII);
        int room = Math.max(0, maxBytes - head.length - afterTimestamp.length);
        int n = len;
        if (n > room) {
            n = room;
            while (n > 0 && (text[off + n] & 0xC0) == 0x80) {
                n--; // text[off + n] continues a character: cut before the character starts
            }
        }
        ByteBuffer b = ByteBuffer.allocate(head.length + afterTimestamp.length + n);
        b.put(head).put(afterTimestamp).put(text, off, n);
        return b.flip();
    }

    private static String printable(String s, int max) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < max; i++) {
            char c = s.charAt(i);
            if (c > 32 && c < 127) {
                b.append(c);
            }
        }
        return b.isEmpty() ? "-" : b.toString();
    }
}
