package io.kodiak.auth;

import io.kodiak.http.RequestHead;

import java.util.function.Consumer;

/**
 * Sends forward-auth subrequests to the auth service's pool: Kodiak's own non-blocking upstream
 * machinery, bound to one pool (implemented by {@code io.kodiak.proxy.SubrequestClient}), so the
 * subrequest picks an upstream as a proxied request does (health, drain, outlier ejection,
 * {@code max-connections}) and reuses the pool's keep-alive connections.
 *
 * <p>Threading: {@link #send} is called on a client's selector thread with its lock held and
 * never blocks; the reply goes to {@code done} once, later, on a thread that holds no lock of
 * Kodiak's (never inside {@code send}).
 */
@FunctionalInterface
public interface ForwardAuthSender {
    /**
     * Starts {@code GET target} with {@code fields}.
     *
     * @param target       the origin-form target of the subrequest
     * @param fields       its field lines, each ending in CRLF, without {@code Host} (the upstream's is sent)
     * @param original     the client's head, for a pool whose hash key reads it; used only during the call
     * @param clientIp     the client's address, for a pool that hashes on it
     * @param maxBody      the largest body of a denial kept; a larger one is a failure
     * @param timeoutNanos the whole subrequest's bound: connect, send, and the answer's last byte
     * @param done         gets the reply, once
     */
    void send(String target, byte[] fields, RequestHead original, String clientIp, int maxBody, long timeoutNanos,
              Consumer<ForwardAuthReply> done);
}
