package io.kodiak.config;

import io.kodiak.accesslog.AccessLogWriter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A listener's access log ({@code access-log} in the file, {@code --access-log} in quick mode):
 * where its lines go, their format, and how many may wait for the writer. A listener without one
 * has {@code null} (the default: off, as HAProxy without {@code log}).
 *
 * @param kind     stdout, a file, or syslog over UDP or a Unix stream socket
 * @param path     the file, or the syslog socket; absolute; {@code null} for the others
 * @param address  the syslog server; {@code null} for the others
 * @param format   {@code combined}, {@code json}, or a template of {@code $variables} (checked when read)
 * @param facility the syslog facility by nginx's names ({@code local7} by default); {@code null} but for syslog
 * @param buffer   entries that may wait for the writer; when it is behind by more, new ones are dropped and counted
 */
public record AccessLogConfig(Kind kind, Path path, Values.HostPort address, String format, String facility, int buffer) {
    /** Where the lines go. */
    public enum Kind { STDOUT, FILE, SYSLOG_UDP, SYSLOG_UNIX }

    /** nginx's default format. */
    public static final String DEFAULT_FORMAT = "combined";
    /** nginx's default facility for {@code access_log syslog:}. */
    public static final String DEFAULT_FACILITY = "local7";
    public static final int DEFAULT_BUFFER = AccessLogWriter.DEFAULT_CAPACITY;
    /** About 1 KiB per entry in memory at most: a 1M-entry queue is a gigabyte, more than a heap should hold. */
    public static final int MAX_BUFFER = 1 << 20;
    public static final int SYSLOG_PORT = 514;
    /** What a target may be, for error messages. */
    static final String TARGETS = "stdout, an absolute file path, syslog://HOST[:PORT] or syslog:///SOCKET-PATH";

    /** Combined lines on stdout: the demo's log. */
    public static final AccessLogConfig STDOUT = new AccessLogConfig(Kind.STDOUT, null, null, DEFAULT_FORMAT, null, DEFAULT_BUFFER);

    public AccessLogConfig {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(format, "format");
        if ((kind == Kind.FILE || kind == Kind.SYSLOG_UNIX) != (path != null)
                || (kind == Kind.SYSLOG_UDP) != (address != null)
                || (kind == Kind.SYSLOG_UDP || kind == Kind.SYSLOG_UNIX) != (facility != null)) {
            throw new IllegalArgumentException("an access log to " + kind + " cannot have path " + path + ", address "
                    + address + ", facility " + facility);
        }
        if (buffer < 1 || buffer > MAX_BUFFER) {
            throw new IllegalArgumentException("access log buffer must be 1-" + MAX_BUFFER + ", not " + buffer);
        }
    }

    /**
     * The target {@code text} names, with the default format, facility and buffer.
     *
     * @param relativeBase what a relative file path resolves against, or {@code null} to refuse one
     *                     (the file: logrotate's configuration names the file by its absolute path too)
     * @throws IllegalArgumentException saying what is wrong with {@code text}
     */
    public static AccessLogConfig target(String text, Path relativeBase) {
        if (text.equals("stdout")) {
            return STDOUT;
        }
        if (text.startsWith("syslog://")) {
            String rest = text.substring("syslog://".length());
            if (rest.startsWith("/")) {
                return new AccessLogConfig(Kind.SYSLOG_UNIX, Path.of(rest).normalize(), null, DEFAULT_FORMAT, DEFAULT_FACILITY,
                        DEFAULT_BUFFER);
            }
            return new AccessLogConfig(Kind.SYSLOG_UDP, null, syslogAddress(text, rest), DEFAULT_FORMAT, DEFAULT_FACILITY,
                    DEFAULT_BUFFER);
        }
        if (text.contains("://") || text.equals("stderr") || text.equals("syslog")) {
            throw new IllegalArgumentException(Values.quote(text) + " is not an access log target (expected " + TARGETS + ")");
        }
        Path path = Path.of(text);
        if (!path.isAbsolute()) {
            if (relativeBase == null) {
                throw new IllegalArgumentException(Values.quote(text) + " is a relative path: write the file's absolute path"
                        + " (as logrotate's configuration will), e.g. /var/log/kodiak/access.log");
            }
            path = relativeBase.resolve(path);
        }
        path = path.normalize();
        checkWritable(path);
        return new AccessLogConfig(Kind.FILE, path, null, DEFAULT_FORMAT, null, DEFAULT_BUFFER);
    }

    /** {@code HOST} or {@code HOST:PORT} after {@code syslog://}, port 514 by default as nginx's. */
    private static Values.HostPort syslogAddress(String text, String rest) {
        if (rest.isEmpty() || rest.indexOf('/') >= 0) {
            throw new IllegalArgumentException(Values.quote(text) + " is not syslog://HOST[:PORT] (or syslog:///SOCKET-PATH"
                    + " for a Unix socket)");
        }
        boolean hasPort = rest.startsWith("[") ? rest.contains("]:") : rest.indexOf(':') >= 0 && rest.indexOf(':') == rest.lastIndexOf(':');
        try {
            return Values.upstreamAddress(hasPort ? rest : rest + ":" + SYSLOG_PORT);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(Values.quote(text) + " is not syslog://HOST[:PORT]: " + e.getMessage(), e);
        }
    }

    /**
     * Refuses a file Kodiak could not open for appending, before anything starts, as {@code nginx -t}
     * does: its directory must exist (Kodiak does not create log directories) and be writable, and
     * the file, if it exists, must be writable and a regular file or a character device
     * ({@code /dev/null}, to measure or silence a log). A FIFO is refused: opening one for writing
     * waits for a reader, which would hang the start with no word of why.
     */
    static void checkWritable(Path file) {
        Path dir = file.getParent();
        if (dir == null) {
            throw new IllegalArgumentException(Values.quote(file.toString()) + " is not a file path");
        }
        if (Files.isDirectory(file)) {
            throw new IllegalArgumentException(file + " is a directory; name the log file in it, e.g. " + file.resolve("access.log"));
        }
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("the directory " + dir + " does not exist (Kodiak does not create it;"
                    + " create it, writable by the user Kodiak runs as)");
        }
        if (Files.exists(file) && !Files.isRegularFile(file) && !isCharacterDevice(file)) {
            throw new IllegalArgumentException(file + " is neither a regular file nor a device (a FIFO or socket);"
                    + " log to a file, stdout or syslog");
        }
        if (Files.exists(file) ? !Files.isWritable(file) : !Files.isWritable(dir)) {
            throw new IllegalArgumentException((Files.exists(file) ? file.toString() : "the directory " + dir)
                    + " is not writable by this user");
        }
    }

    private static boolean isCharacterDevice(Path file) {
        try {
            int mode = (Integer) Files.getAttribute(file, "unix:mode");
            return (mode & 0170000) == 0020000; // S_IFMT, S_IFCHR
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return false; // no POSIX modes here: only regular files then
        }
    }

    public AccessLogConfig withFormat(String f) {
        return new AccessLogConfig(kind, path, address, f, facility, buffer);
    }

    public AccessLogConfig withFacility(String f) {
        return new AccessLogConfig(kind, path, address, format, f, buffer);
    }

    public AccessLogConfig withBuffer(int b) {
        return new AccessLogConfig(kind, path, address, format, facility, b);
    }

    /** Whether the lines go to syslog (so {@code facility} applies). */
    public boolean syslog() {
        return kind == Kind.SYSLOG_UDP || kind == Kind.SYSLOG_UNIX;
    }

    /**
     * Where the lines go, for people and as the key under which listeners share one target:
     * {@code stdout}, {@code file /var/log/kodiak/access.log}, {@code syslog udp 127.0.0.1:514},
     * {@code syslog unix-stream /run/syslog.sock}.
     */
    public String destination() {
        return switch (kind) {
            case STDOUT -> "stdout";
            case FILE -> "file " + path;
            case SYSLOG_UDP -> "syslog udp " + address;
            case SYSLOG_UNIX -> "syslog unix-stream " + path;
        };
    }

    @Override
    public String toString() {
        return "access log " + destination() + ", format " + format + (facility == null ? "" : ", facility " + facility)
                + ", buffer " + buffer;
    }
}
