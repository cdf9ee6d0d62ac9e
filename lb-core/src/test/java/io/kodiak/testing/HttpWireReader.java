package io.kodiak.testing;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.ProtocolException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Blocking reader of HTTP/1.1 message framing on one connection, shared by {@link ScriptedUpstream}
 * (requests) and {@link RawClient} (responses). It buffers ahead, so pipelined messages come out one
 * after the other; it is strict (no line folding, no spaces in names) because the peer under test is
 * Kodiak, and anything sloppy it sends is a bug worth failing on.
 *
 * <p>Lines may end in CRLF or a bare LF (RFC 9112 section 2.2 lets recipients accept both).
 * Not thread-safe: one thread owns a connection.
 */
final class HttpWireReader {

    /** Largest head accepted, like common servers' default limits. */
    static final int MAX_HEAD_BYTES = 64 * 1024;
    private static final int MAX_CHUNK_LINE = 4096;

    /** A parsed head: the exact bytes, the start line, and the header fields in order. */
    record Head(byte[] raw, String startLine, HeaderFields fields) {
    }

    private final InputStream in;
    private final byte[] buf = new byte[64 * 1024];
    private int pos;
    private int limit;

    HttpWireReader(InputStream in) {
        this.in = in;
    }

    /**
     * Reads one message head through its empty line.
     *
     * @param skipLeadingEmptyLines servers ignore empty lines before a request line (RFC 9112 2.2);
     *                              clients should see stray bytes between responses as the error it is
     * @return the head, or {@code null} if the peer closed the connection before sending any byte of it
     */
    Head readHead(boolean skipLeadingEmptyLines) throws IOException {
        byte[] first;
        do {
            first = readLine(MAX_HEAD_BYTES, true);
            if (first == null) {
                return null;
            }
        } while (skipLeadingEmptyLines && isEmptyLine(first));
        ByteArrayOutputStream raw = new ByteArrayOutputStream(512);
        raw.write(first);
        byte[] line = first;
        while (!isEmptyLine(line)) {
            line = readLine(MAX_HEAD_BYTES - raw.size(), false);
            raw.write(line);
        }
        return parseHead(raw.toByteArray());
    }

    /** Reads exactly {@code length} body bytes into {@code sink}. */
    void readFixed(long length, CapturedBody.Accumulator sink) throws IOException {
        long left = length;
        while (left > 0) {
            if (pos == limit && !fill()) {
                throw new EOFException("connection closed after " + (length - left) + " of " + length
                        + " body bytes");
            }
            int n = (int) Math.min(left, limit - pos);
            sink.update(buf, pos, n);
            pos += n;
            left -= n;
        }
    }

    /** Reads a chunked body, without its framing, into {@code sink}; returns the trailer fields. */
    HeaderFields readChunked(CapturedBody.Accumulator sink) throws IOException {
        while (true) {
            long size = parseChunkSize(readLine(MAX_CHUNK_LINE, false));
            if (size == 0) {
                break;
            }
            readFixed(size, sink);
            byte[] end = readLine(2, false);
            if (!isEmptyLine(end)) {
                throw new ProtocolException("chunk data not followed by CRLF");
            }
        }
        List<HeaderFields.Field> trailers = new ArrayList<>();
        int budget = MAX_HEAD_BYTES;
        byte[] line = readLine(budget, false);
        while (!isEmptyLine(line)) {
            budget -= line.length;
            trailers.add(parseField(stripCr(stripLf(text(line)))));
            line = readLine(budget, false);
        }
        return HeaderFields.of(trailers);
    }

    /** Reads everything up to the peer's close into {@code sink} (close-delimited bodies). */
    void readToEof(CapturedBody.Accumulator sink) throws IOException {
        while (pos < limit || fill()) {
            sink.update(buf, pos, limit - pos);
            pos = limit;
        }
    }

    /**
     * Blocks until a byte is available or the stream ends; the byte stays buffered.
     *
     * @return {@code true} if data is available, {@code false} at end of stream
     * @throws java.net.SocketTimeoutException if the socket's read timeout passed first
     */
    boolean awaitData() throws IOException {
        return pos < limit || fill();
    }

    private boolean fill() throws IOException {
        int n;
        do {
            n = in.read(buf, 0, buf.length);
        } while (n == 0);
        if (n < 0) {
            return false;
        }
        pos = 0;
        limit = n;
        return true;
    }

    /** One line including its terminator; {@code null} at end of stream only if allowed and nothing read. */
    private byte[] readLine(int max, boolean eofAllowedAtStart) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(128);
        while (true) {
            if (pos == limit && !fill()) {
                if (line.size() == 0 && eofAllowedAtStart) {
                    return null;
                }
                throw new EOFException("connection closed inside a line: \"" + text(line.toByteArray()) + "\"");
            }
            int start = pos;
            while (pos < limit && buf[pos] != '\n') {
                pos++;
            }
            boolean complete = pos < limit;
            if (complete) {
                pos++;
            }
            line.write(buf, start, pos - start);
            if (line.size() > max) {
                throw new ProtocolException("line or head longer than " + max + " bytes");
            }
            if (complete) {
                return line.toByteArray();
            }
        }
    }

    /** Splits raw head bytes into start line and fields. */
    static Head parseHead(byte[] raw) throws ProtocolException {
        String[] lines = text(raw).split("\n", -1);
        String startLine = stripCr(lines[0]);
        if (startLine.isEmpty()) {
            throw new ProtocolException("empty start line");
        }
        List<HeaderFields.Field> fields = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            String line = stripCr(lines[i]);
            if (line.isEmpty()) {
                break;
            }
            fields.add(parseField(line));
        }
        return new Head(raw, startLine, HeaderFields.of(fields));
    }

    /** All Content-Length values must be the same decimal number (RFC 9110 8.6). */
    static long contentLength(List<String> values) throws ProtocolException {
        long length = -1;
        for (String value : values) {
            for (String part : value.split(",", -1)) {
                String digits = part.trim();
                if (digits.isEmpty() || digits.length() > 18 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
                    throw new ProtocolException("bad Content-Length " + values);
                }
                long parsed = Long.parseLong(digits);
                if (length >= 0 && parsed != length) {
                    throw new ProtocolException("conflicting Content-Length " + values);
                }
                length = parsed;
            }
        }
        return length;
    }

    private static HeaderFields.Field parseField(String line) throws ProtocolException {
        if (line.startsWith(" ") || line.startsWith("\t")) {
            throw new ProtocolException("obsolete line folding: \"" + line + "\"");
        }
        int colon = line.indexOf(':');
        if (colon <= 0) {
            throw new ProtocolException("header line without a name: \"" + line + "\"");
        }
        String name = line.substring(0, colon);
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c <= ' ' || c >= 0x7F) {
                throw new ProtocolException("invalid character in header name: \"" + line + "\"");
            }
        }
        return new HeaderFields.Field(name, trimOws(line.substring(colon + 1)));
    }

    private static long parseChunkSize(byte[] lineBytes) throws ProtocolException {
        String line = stripCr(stripLf(text(lineBytes)));
        int semicolon = line.indexOf(';');
        String hex = trimOws(semicolon >= 0 ? line.substring(0, semicolon) : line);
        // 15 hex digits keep the size far below Long.MAX_VALUE; no test body is that large.
        if (hex.isEmpty() || hex.length() > 15 || !hex.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            throw new ProtocolException("bad chunk size line: \"" + line + "\"");
        }
        return Long.parseLong(hex, 16);
    }

    private static boolean isEmptyLine(byte[] line) {
        return (line.length == 1 && line[0] == '\n') || (line.length == 2 && line[0] == '\r' && line[1] == '\n');
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    private static String stripCr(String s) {
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }

    private static String stripLf(String s) {
        return s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
    }

    private static String trimOws(String s) {
        int from = 0;
        int to = s.length();
        while (from < to && (s.charAt(from) == ' ' || s.charAt(from) == '\t')) {
            from++;
        }
        while (to > from && (s.charAt(to - 1) == ' ' || s.charAt(to - 1) == '\t')) {
            to--;
        }
        return s.substring(from, to);
    }

    @Override
    public String toString() {
        return "HttpWireReader[buffered=" + (limit - pos) + "]";
    }
}
