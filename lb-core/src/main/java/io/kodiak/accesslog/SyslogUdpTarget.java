package io.kodiak.accesslog;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;

/**
 * RFC 5424 syslog over UDP (RFC 5426): one datagram per line, nothing buffered, so
 * {@link #flush} has nothing to do. A lost datagram is lost, as with nginx and HAProxy; an ICMP
 * "port unreachable" from an earlier send surfaces as an IOException here and is counted by the
 * writer.
 *
 * <p>Writer thread only (see {@link AccessLogTarget}).
 */
final class SyslogUdpTarget implements AccessLogTarget {
    private final InetSocketAddress address;
    private final SyslogMessages messages;
    private DatagramChannel channel;

    SyslogUdpTarget(InetSocketAddress address, SyslogMessages messages) throws IOException {
        this.address = address;
        this.messages = messages;
        this.channel = open();
    }

    private DatagramChannel open() throws IOException {
        // Connected, so sends need no per-datagram address check and unreachability is reported.
        return DatagramChannel.open().connect(address);
    }

    @Override
    public void write(byte[] line, int off, int len) throws IOException {
        channel.write(messages.encode(line, off, len));
    }

    @Override
    public void flush() {
    }

    /** A new socket, e.g. after the receiver moved to another address behind the same name. */
    @Override
    public void reopen() throws IOException {
        channel.close();
        channel = open();
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    @Override
    public String toString() {
        return "syslog udp " + address;
    }
}
