package io.kodiak.accesslog;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * RFC 5424 syslog over a Unix domain STREAM socket, framed by octet counting (RFC 6587 3.4.1:
 * {@code LENGTH SP MESSAGE}). Not the datagram socket {@code /dev/log} usually is: JDK 17 supports
 * Unix domain sockets for {@link SocketChannel} only ({@code DatagramChannel.open(UNIX)} throws
 * UnsupportedOperationException), so this needs a receiver listening on a stream socket, e.g.
 * rsyslog's imuxsock is datagram-only but imptcp can listen on a Unix stream path, and
 * syslog-ng's {@code unix-stream()} source.
 *
 * <p>Connects on first write and after a failed one (the receiver restarted), so a receiver that
 * is down costs failed writes, counted by the writer, not a dead target.
 *
 * <p>Writer thread only (see {@link AccessLogTarget}).
 */
final class SyslogUnixTarget implements AccessLogTarget {
    private final Path path;
    private final SyslogMessages messages;
    private SocketChannel channel;

    SyslogUnixTarget(Path path, SyslogMessages messages) {
        this.path = path;
        this.messages = messages;
    }

    @Override
    public void write(byte[] line, int off, int len) throws IOException {
        ByteBuffer message = messages.encode(line, off, len);
        ByteBuffer length = ByteBuffer.wrap((message.remaining() + " ").getBytes(StandardCharsets.US_ASCII));
        try {
            if (channel == null) {
                channel = SocketChannel.open(StandardProtocolFamily.UNIX);
                channel.connect(UnixDomainSocketAddress.of(path));
            }
            ByteBuffer[] frame = {length, message};
            while (message.hasRemaining()) {
                channel.write(frame);
            }
        } catch (IOException e) {
            closeQuietly(e);
            throw e;
        }
    }

    @Override
    public void flush() {
    }

    @Override
    public void reopen() throws IOException {
        close();
    }

    @Override
    public void close() throws IOException {
        SocketChannel c = channel;
        channel = null;
        if (c != null) {
            c.close();
        }
    }

    private void closeQuietly(IOException cause) {
        try {
            close();
        } catch (IOException e) {
            cause.addSuppressed(e);
        }
    }

    @Override
    public String toString() {
        return "syslog unix-stream " + path;
    }
}
