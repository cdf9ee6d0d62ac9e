package io.kodiak.proxy;

import io.kodiak.accesslog.Termination;
import io.kodiak.metrics.ErrorCause;

/**
 * How an exchange ended, decided from what is known where it ended: the termination state the
 * access log records (HAProxy's codes). Pure functions, so that each decision is tested without
 * sockets; the phases call them at their failure sites.
 */
final class Endings {
    private Endings() {
    }

    /**
     * The client closed (or reset) the connection.
     *
     * @param requestComplete whether Kodiak had the whole request by then
     * @param tunnelOpen      whether a WebSocket tunnel was open: closing it is its normal end
     */
    static Termination clientGone(boolean requestComplete, boolean tunnelOpen) {
        if (tunnelOpen) {
            return Termination.NORMAL;
        }
        return requestComplete ? Termination.CLIENT_ABORT : Termination.CLIENT_ABORT_REQUEST;
    }

    /** The session refused the request with {@code status} (408 for a slow client, else malformed or too large). */
    static Termination sessionRejected(int status) {
        return status == 408 ? Termination.CLIENT_TIMEOUT : Termination.LOCAL_ANSWER;
    }

    /** A connect to an upstream failed with {@code cause}. */
    static Termination connectFailed(ErrorCause cause) {
        return cause == ErrorCause.CONNECT_TIMEOUT ? Termination.CONNECT_TIMEOUT : Termination.CONNECT_FAILED;
    }

    /** The upstream closed its connection: before its response head, or in the middle of the body. */
    static Termination upstreamClosed(boolean headReceived) {
        return headReceived ? Termination.UPSTREAM_ABORT : Termination.UPSTREAM_RESET;
    }

    /**
     * No upstream could take the request.
     *
     * @param lastFailure how the last failed attempt ended, or null if none was made
     */
    static Termination noUpstream(Termination lastFailure) {
        return lastFailure != null ? lastFailure : Termination.NO_UPSTREAM;
    }
}
