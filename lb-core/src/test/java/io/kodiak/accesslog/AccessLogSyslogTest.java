package io.kodiak.accesslog;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The timeout only turns a lost datagram or a hung read into a failure. */
@Timeout(30)
class AccessLogSyslogTest {
    private static final Clock CLOCK = Clock.fixed(Instant.ofEpochMilli(Entries.START), ZoneOffset.UTC);
    private static final SyslogMessages MESSAGES = new SyslogMessages(SyslogMessages.LOCAL7, "web host\u00e9", 4321, CLOCK, 8192);
    /** RFC 5424: PRI VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP SD SP MSG. */
    private static final Pattern RFC5424 = Pattern.compile(
            "<\\d{1,3}>1 \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z [!-~]{1,255} kodiak \\d+ access - [^\n]*");

    @TempDir
    Path dir;

    @Test
    void headerIsRfc5424WithLocal7InfoAndAPrintableHostname() {
        assertEquals("<190>1 2026-12-04T18:04:25.123Z webhost kodiak 4321 access - hello", text(encode(MESSAGES, "hello")));
    }

    @Test
    void facilitiesByNginxsNames() {
        assertEquals(23, SyslogMessages.facility("local7"));
        assertEquals(16, SyslogMessages.facility("local0"));
        assertEquals(3, SyslogMessages.facility("daemon"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SyslogMessages.facility("local8"));
        assertTrue(e.getMessage().contains("known: kern user"), e.getMessage());
        String pri = text(encode(new SyslogMessages(SyslogMessages.facility("daemon"), "h", 1, CLOCK, 8192), "x"));
        assertTrue(pri.startsWith("<30>1 "), pri);
    }

    @Test
    void aLongLineIsCutAtTheBoundOnACharacterBoundary() throws Exception {
        ByteBuffer b = encode(MESSAGES, "€".repeat(5000)); // 15000 bytes of 3-byte characters
        assertTrue(b.remaining() <= 8192 && b.remaining() > 8192 - 3, String.valueOf(b.remaining()));
        StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).decode(b); // throws if cut mid-character
    }

    @Test
    void udpReceiverGetsOneWellFormedMessagePerEntry() throws Exception {
        try (DatagramSocket receiver = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            AccessLogWriter writer = new AccessLogWriter(AccessLogFormat.combined(ZoneOffset.UTC),
                    AccessLogTarget.syslogUdp((InetSocketAddress) receiver.getLocalSocketAddress(), "local7"), 16);
            writer.offer(Entries.withAgent("evil\nline"));
            writer.offer(Entries.sparse());
            writer.close();
            for (String expectedEnd : new String[] {"\"evil\\x0Aline\"", "\"-\" \"-\""}) {
                DatagramPacket p = new DatagramPacket(new byte[65536], 65536);
                receiver.receive(p);
                String message = new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8);
                assertTrue(RFC5424.matcher(message).matches(), message);
                assertTrue(message.startsWith("<190>1 "), message);
                assertTrue(message.endsWith(expectedEnd), message);
            }
        }
    }

    @Test
    void unixStreamReceiverGetsOctetCountedMessages() throws Exception {
        Path socket = dir.resolve("log.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            SyslogUnixTarget target = new SyslogUnixTarget(socket, MESSAGES);
            Entries.write(target, "one");
            Entries.write(target, "two é");
            try (SocketChannel accepted = server.accept()) {
                target.close();
                ByteBuffer in = ByteBuffer.allocate(4096);
                while (accepted.read(in) >= 0) {
                    // until the target's close ends the stream
                }
                String stream = new String(in.array(), 0, in.position(), StandardCharsets.UTF_8);
                String one = "<190>1 2026-12-04T18:04:25.123Z webhost kodiak 4321 access - one";
                String two = "<190>1 2026-12-04T18:04:25.123Z webhost kodiak 4321 access - two é";
                assertEquals(one.length() + " " + one + two.getBytes(StandardCharsets.UTF_8).length + " " + two, stream);
            }
        }
    }

    /** The message for {@code line} as the writer hands it over: UTF-8 bytes. */
    private static ByteBuffer encode(SyslogMessages m, String line) {
        byte[] b = line.getBytes(StandardCharsets.UTF_8);
        return m.encode(b, 0, b.length);
    }

    private static String text(ByteBuffer b) {
        return StandardCharsets.UTF_8.decode(b).toString();
    }
}
