package io.kodiak.testing;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What a {@link ScriptedUpstream} does with one request. Actions compose: {@code a.then(b)} runs
 * {@code a} then {@code b} on the same connection, so "respond, then write garbage, then close" is
 * {@code respond(200, "ok").then(raw("junk")).thenClose()}.
 *
 * <p>After the action the connection reads the next request (keep-alive), unless a step closed it,
 * or the request carried {@code Connection: close} (or was HTTP/1.0 without keep-alive), or a
 * response step sent {@code Connection: close}; in those cases the upstream closes it like a real
 * server would.
 *
 * <p>Response steps write {@code HTTP/1.1} status lines and send no body to a HEAD request.
 */
public sealed interface Action {

    /** A response with {@code Content-Length} (added unless {@code headers} has one, or status is 1xx/204/304). */
    record Respond(int status, HeaderFields headers, byte[] body) implements Action {
        public Respond {
            Objects.requireNonNull(headers);
            Objects.requireNonNull(body);
        }
    }

    /** A chunked response: one chunk per element of {@code chunks} (empty elements are skipped), then trailers. */
    record RespondChunked(int status, HeaderFields headers, List<byte[]> chunks, HeaderFields trailers)
            implements Action {
        public RespondChunked {
            chunks = List.copyOf(chunks);
            Objects.requireNonNull(headers);
            Objects.requireNonNull(trailers);
        }
    }

    /** A response without length headers whose end is the close of the connection. */
    record RespondCloseDelimited(String version, int status, HeaderFields headers, byte[] body)
            implements Action {
        public RespondCloseDelimited {
            Objects.requireNonNull(version);
            Objects.requireNonNull(headers);
            Objects.requireNonNull(body);
        }
    }

    /**
     * A response whose body is {@code length} bytes of {@link DeterministicBytes#of(long) seed}'s
     * sequence, streamed in 64 KiB pieces, framed by {@code Content-Length} or as chunked.
     */
    record StreamBody(int status, HeaderFields headers, long length, long seed, boolean chunked)
            implements Action {
        public StreamBody {
            Objects.requireNonNull(headers);
            if (length < 0) {
                throw new IllegalArgumentException("negative length " + length);
            }
        }
    }

    /** These bytes, verbatim: for malformed or hand-framed responses. */
    record Raw(byte[] bytes) implements Action {
        public Raw {
            Objects.requireNonNull(bytes);
        }
    }

    /**
     * {@code length} bytes of {@code seed}'s deterministic sequence, verbatim and unframed: for a
     * server that keeps writing after its response, without holding the bytes in memory.
     */
    record RawStream(long length, long seed) implements Action {
        public RawStream {
            if (length < 0) {
                throw new IllegalArgumentException("negative length " + length);
            }
        }
    }

    /**
     * Do nothing for {@code duration}, reading nothing meanwhile. When the upstream closes, the stall
     * ends at once and the rest of the action is dropped.
     */
    record Stall(Duration duration) implements Action {
        public Stall {
            Objects.requireNonNull(duration);
        }
    }

    /** Close the connection (FIN) without (further) response. */
    record Close() implements Action {
    }

    /** Abort the connection with a TCP RST (SO_LINGER 0, then close). */
    record Reset() implements Action {
    }

    /** The steps in order; stops early if a step closes the connection. */
    record Sequence(List<Action> steps) implements Action {
        public Sequence {
            steps = List.copyOf(steps);
        }
    }

    /** Runs this action, then {@code next}. */
    default Action then(Action next) {
        List<Action> steps = new ArrayList<>();
        for (Action a : List.of(this, next)) {
            if (a instanceof Sequence s) {
                steps.addAll(s.steps());
            } else {
                steps.add(a);
            }
        }
        return new Sequence(steps);
    }

    /** Runs this action, then closes the connection without announcing it (no {@code Connection: close}). */
    default Action thenClose() {
        return then(close());
    }

    /** 200 with a {@code text/plain} body. */
    static Action ok(String body) {
        return respond(200, body);
    }

    /** {@code status} with a {@code text/plain; charset=utf-8} body. */
    static Action respond(int status, String body) {
        return respond(status, HeaderFields.of("Content-Type", "text/plain; charset=utf-8"), utf8(body));
    }

    /** {@code status} with these headers and body; {@code Content-Length} is added if missing. */
    static Action respond(int status, HeaderFields headers, byte[] body) {
        return new Respond(status, headers, body);
    }

    /** A chunked response of the given chunks, no trailers. */
    static Action chunked(int status, HeaderFields headers, List<byte[]> chunks) {
        return new RespondChunked(status, headers, chunks, HeaderFields.EMPTY);
    }

    /** A chunked response of the given chunks and trailer fields. */
    static Action chunked(int status, HeaderFields headers, List<byte[]> chunks, HeaderFields trailers) {
        return new RespondChunked(status, headers, chunks, trailers);
    }

    /** An HTTP/1.0-style response: no length, body ends at close. */
    static Action closeDelimited(int status, HeaderFields headers, byte[] body) {
        return new RespondCloseDelimited("HTTP/1.0", status, headers, body);
    }

    /** {@code length} deterministic bytes from {@code seed}, with {@code Content-Length} or chunked. */
    static Action streamBody(int status, long length, long seed, boolean chunked) {
        return new StreamBody(status, HeaderFields.of("Content-Type", "application/octet-stream"), length, seed,
                chunked);
    }

    /** Bytes verbatim. */
    static Action raw(byte[] bytes) {
        return new Raw(bytes);
    }

    /** The string's ISO-8859-1 bytes verbatim ({@code "\r\n"} must be written out). */
    static Action raw(String latin1) {
        return new Raw(latin1.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** {@code length} unframed deterministic bytes from {@code seed}, e.g. after a response. */
    static Action rawStream(long length, long seed) {
        return new RawStream(length, seed);
    }

    /** Waits {@code duration} (or until the upstream closes), sending nothing. */
    static Action stall(Duration duration) {
        return new Stall(duration);
    }

    /** Closes the connection. */
    static Action close() {
        return new Close();
    }

    /** Resets the connection. */
    static Action reset() {
        return new Reset();
    }

    /** Runs {@code steps} in order. */
    static Action sequence(Action... steps) {
        return new Sequence(List.of(steps));
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
