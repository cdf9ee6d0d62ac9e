package io.kodiak.accesslog;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;

/**
 * Where formatted lines go: stdout, a file, or syslog.
 *
 * <p>Threading: only the {@link AccessLogWriter}'s thread calls a target, so implementations need
 * no locking and may block (a full disk, a slow syslog socket); that blocks the writer, never the
 * data path, which only fills the writer's queue.
 */
public interface AccessLogTarget extends Closeable {

    /**
     * Writes one line, {@code len} bytes of {@code line} from {@code off}, UTF-8 without a
     * terminator: the target adds its own framing. The array is reused once this returns.
     */
    void write(byte[] line, int off, int len) throws IOException;

    /** The end of a batch: push what is buffered out. */
    void flush() throws IOException;

    /**
     * Closes and opens again what the target writes to, so a log file renamed by logrotate is
     * replaced by a new one at the same path. Nothing to do by default.
     */
    default void reopen() throws IOException {
    }

    /** Standard output, UTF-8, one line per entry; closing flushes but leaves stdout open. */
    static AccessLogTarget stdout() {
        return new StreamTarget(System.out, "stdout");
    }

    /** Appends to {@code path}, creating it owner read-write, group read (0640). */
    static AccessLogTarget file(Path path) throws IOException {
        return new FileTarget(path);
    }

    /**
     * RFC 5424 syslog, one UDP datagram per line, to {@code address}, with the named facility
     * ({@code local7} as nginx by default; IllegalArgumentException listing the names if unknown).
     */
    static AccessLogTarget syslogUdp(InetSocketAddress address, String facility) throws IOException {
        return new SyslogUdpTarget(address, SyslogMessages.local(SyslogMessages.facility(facility)));
    }

    /**
     * Checks a syslog facility name before anything is opened (the configuration does, to report
     * it with its file and line): IllegalArgumentException naming the known ones if it is unknown.
     */
    static void requireFacility(String facility) {
        SyslogMessages.facility(facility);
    }

    /** RFC 5424 syslog over the Unix stream socket at {@code path}, facility as {@link #syslogUdp}. */
    static AccessLogTarget syslogUnix(Path path, String facility) {
        return new SyslogUnixTarget(path, SyslogMessages.local(SyslogMessages.facility(facility)));
    }
}
