package io.kodiak.testing;

import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ProtocolException;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A test HTTP/1.1 client over one plain socket: it sends exactly the bytes it is given and parses
 * exactly what comes back, so tests can pipeline, send malformed requests, half-close, or reset.
 *
 * <pre>{@code
 * try (RawClient c = RawClient.connect(kodiakPort)) {
 *     RawResponse r = c.exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
 *     assertEquals(200, r.status());
 * }
 * }</pre>
 *
 * <p>Every read honours the read timeout: a read that waits longer throws
 * {@link SocketTimeoutException} (or {@link #awaitClose()} reports {@link Closure#TIMED_OUT}). Writes
 * have no timeout; a test that uploads into a peer that may stop reading should carry a JUnit
 * {@code @Timeout}. Bodies longer than the capture limit are kept only as length and SHA-256.
 * Not thread-safe, except that {@link #close()} and {@link #reset()} may be called from another thread.
 */
public final class RawClient implements AutoCloseable {

    /** Read timeout of {@link #connect(int)}. */
    public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(10);
    /** Response bodies up to this size are kept in full by default. */
    public static final long DEFAULT_BODY_CAPTURE_LIMIT = 8L << 20;
    private static final int CONNECT_TIMEOUT_MILLIS = 5_000;

    /** What {@link #awaitClose()} saw. */
    public enum Closure {
        /** The peer closed the connection in order (FIN). */
        EOF,
        /** The peer reset the connection (RST). */
        RESET,
        /** Nothing happened within the read timeout. */
        TIMED_OUT,
        /** Bytes arrived instead; they stay buffered for the next read. */
        DATA
    }

    private final Socket socket;
    private final OutputStream out;
    private final HttpWireReader reader;
    private long bodyCaptureLimit = DEFAULT_BODY_CAPTURE_LIMIT;

    private RawClient(Socket socket) throws IOException {
        this.socket = socket;
        this.out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
        this.reader = new HttpWireReader(socket.getInputStream());
    }

    /** Connects to {@code 127.0.0.1:port} with the default read timeout. */
    public static RawClient connect(int port) throws IOException {
        return connect(Loopback.at(port), DEFAULT_READ_TIMEOUT);
    }

    /** Connects to {@code address}; reads give up after {@code readTimeout}. */
    public static RawClient connect(InetSocketAddress address, Duration readTimeout) throws IOException {
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.connect(address, CONNECT_TIMEOUT_MILLIS);
            s.setSoTimeout(Math.toIntExact(readTimeout.toMillis()));
            return new RawClient(s);
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /**
     * Connects to {@code 127.0.0.1:port} from {@code local} (another loopback address, such as
     * {@code 127.0.0.2}: the server sees a different client address), with the default read timeout.
     */
    public static RawClient connectFrom(java.net.InetAddress local, int port) throws IOException {
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.bind(new InetSocketAddress(local, 0));
            s.connect(Loopback.at(port), CONNECT_TIMEOUT_MILLIS);
            s.setSoTimeout(Math.toIntExact(DEFAULT_READ_TIMEOUT.toMillis()));
            return new RawClient(s);
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /** A client over {@code s}, connected already (a TLS socket, say); reads keep its timeout. */
    public static RawClient over(Socket s) throws IOException {
        return new RawClient(s);
    }

    /** Changes the read timeout for later reads. */
    public RawClient readTimeout(Duration timeout) throws SocketException {
        socket.setSoTimeout(Math.toIntExact(timeout.toMillis()));
        return this;
    }

    /** Response bodies up to {@code bytes} are kept in full; larger ones as length and SHA-256 only. */
    public RawClient bodyCaptureLimit(long bytes) {
        this.bodyCaptureLimit = bytes;
        return this;
    }

    /** The client side's port, as the server sees it in its peer address. */
    public int localPort() {
        return socket.getLocalPort();
    }

    /** Sends {@code bytes} verbatim and flushes. */
    public void send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** Sends the string's ISO-8859-1 bytes verbatim ({@code "\r\n"} must be written out) and flushes. */
    public void send(String latin1) throws IOException {
        send(latin1.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Streams {@code length} bytes of {@link DeterministicBytes#of(long) seed}'s sequence as a plain body. */
    public void sendBody(long seed, long length) throws IOException {
        DeterministicBytes.of(seed).writeTo(out, length);
        out.flush();
    }

    /**
     * Streams {@code length} bytes of {@code seed}'s sequence as a chunked body of {@code chunkSize}-byte
     * chunks (the last may be shorter), including the terminating zero chunk without trailers.
     */
    public void sendChunkedBody(long seed, long length, int chunkSize) throws IOException {
        DeterministicBytes source = DeterministicBytes.of(seed);
        byte[] buf = new byte[chunkSize];
        for (long p = 0; p < length; ) {
            int n = (int) Math.min(chunkSize, length - p);
            source.fill(p, buf, 0, n);
            out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.write(buf, 0, n);
            out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
            p += n;
        }
        out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    /** Sends one complete raw request and reads its response (a HEAD request is recognised by its first word). */
    public RawResponse exchange(String rawRequest) throws IOException {
        send(rawRequest);
        int space = rawRequest.indexOf(' ');
        return readResponse(space > 0 ? rawRequest.substring(0, space) : "GET");
    }

    /** {@code GET target HTTP/1.1} with {@code Host: 127.0.0.1:<port>}, and its response. */
    public RawResponse get(String target) throws IOException {
        return exchange("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + socket.getPort() + "\r\n\r\n");
    }

    /** Reads the next response to a non-HEAD request. */
    public RawResponse readResponse() throws IOException {
        return readResponse("GET");
    }

    /**
     * Reads the next response, which answers a request with {@code requestMethod} (HEAD responses have
     * no body). Interim (1xx) responses are returned like any other, one per call.
     *
     * @throws EOFException           if the connection ends before or inside the response
     * @throws SocketTimeoutException if the read timeout passes while waiting for bytes
     * @throws ProtocolException      if the response is malformed
     */
    public RawResponse readResponse(String requestMethod) throws IOException {
        HttpWireReader.Head head = reader.readHead(false);
        if (head == null) {
            throw new EOFException("connection closed before a response");
        }
        String[] parts = head.startLine().split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/") || !parts[1].matches("[0-9]{3}")) {
            throw new ProtocolException("bad status line \"" + head.startLine() + "\"");
        }
        int status = Integer.parseInt(parts[1]);
        HeaderFields headers = head.fields();
        BodyFraming framing = framing(requestMethod, status, headers);
        CapturedBody.Accumulator body = new CapturedBody.Accumulator(bodyCaptureLimit);
        HeaderFields trailers = HeaderFields.EMPTY;
        switch (framing) {
            case CONTENT_LENGTH -> reader.readFixed(HttpWireReader.contentLength(headers.values("Content-Length")), body);
            case CHUNKED -> trailers = reader.readChunked(body);
            case CLOSE_DELIMITED -> reader.readToEof(body);
            case NONE -> { }
        }
        return new RawResponse(parts[0], status, parts.length > 2 ? parts[2] : "", headers, head.raw(), framing,
                body.finish(), trailers);
    }

    /**
     * Reads whatever bytes remain until the peer closes, without parsing (e.g. what a server wrote
     * past the end of a response); kept in full up to the capture limit, always as length and SHA-256.
     */
    public CapturedBody readRawToEof() throws IOException {
        CapturedBody.Accumulator acc = new CapturedBody.Accumulator(bodyCaptureLimit);
        reader.readToEof(acc);
        return acc.finish();
    }

    /** Reads {@code count} responses to pipelined non-HEAD requests, in order. */
    public List<RawResponse> readResponses(int count) throws IOException {
        List<RawResponse> responses = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            responses.add(readResponse());
        }
        return responses;
    }

    /**
     * Waits up to the read timeout for the peer to close: tells an orderly close from a reset, a
     * timeout, and unexpected bytes (which stay buffered).
     */
    public Closure awaitClose() throws IOException {
        try {
            return reader.awaitData() ? Closure.DATA : Closure.EOF;
        } catch (SocketTimeoutException e) {
            return Closure.TIMED_OUT;
        } catch (SocketException e) {
            if (String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT).contains("reset")) {
                return Closure.RESET;
            }
            throw e;
        }
    }

    /** Half-closes: sends FIN, keeps reading. */
    public void shutdownOutput() throws IOException {
        out.flush();
        socket.shutdownOutput();
    }

    /** Aborts the connection with a TCP RST (SO_LINGER 0), as a crashing client would. */
    public void reset() throws IOException {
        socket.setSoLinger(true, 0);
        socket.close();
    }

    /** Closes the connection (FIN). */
    @Override
    public void close() throws IOException {
        socket.close();
    }

    private static BodyFraming framing(String requestMethod, int status, HeaderFields headers) {
        // RFC 9112 section 6.3, in its order.
        if ("HEAD".equalsIgnoreCase(requestMethod) || status / 100 == 1 || status == 204 || status == 304) {
            return BodyFraming.NONE;
        }
        if (headers.contains("Transfer-Encoding")) {
            return "chunked".equals(headers.lastToken("Transfer-Encoding"))
                    ? BodyFraming.CHUNKED : BodyFraming.CLOSE_DELIMITED;
        }
        return headers.contains("Content-Length") ? BodyFraming.CONTENT_LENGTH : BodyFraming.CLOSE_DELIMITED;
    }

    @Override
    public String toString() {
        return "RawClient[" + socket.getLocalPort() + " -> " + socket.getRemoteSocketAddress()
                + (socket.isClosed() ? " closed" : "") + "]";
    }
}
