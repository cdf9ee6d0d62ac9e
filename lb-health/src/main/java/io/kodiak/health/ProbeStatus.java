package io.kodiak.health;

/**
 * The outcome of one probe, close to HAProxy's check statuses ({@code L4OK}, {@code L4CON},
 * {@code L4TOUT}, {@code SOCKERR}). Only {@link #SUCCESS} counts as a passed check.
 */
public enum ProbeStatus {
    /** The target answered as required. */
    SUCCESS,
    /** The target's host actively refused the connection: nothing listens on the port. */
    REFUSED,
    /** No answer within the probe timeout. */
    TIMEOUT,
    /**
     * The target answered, but not as the check requires: a status outside the expected ones
     * (HAProxy {@code L7STS}), the expected body text missing ({@code L7RSP}), or not valid HTTP;
     * or for a TLS target, a handshake that failed ({@code L6RSP}): a certificate that does not verify.
     */
    UNEXPECTED_RESPONSE,
    /** No route to the target's host or network, or its address could not be resolved. */
    UNREACHABLE,
    /** The check could not be carried out on our side (socket error, probe shut down); still a failure. */
    ERROR;

    /** @return whether this outcome counts as a passed check */
    public boolean passed() {
        return this == SUCCESS;
    }
}
