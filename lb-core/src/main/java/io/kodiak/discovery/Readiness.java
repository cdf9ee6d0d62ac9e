package io.kodiak.discovery;

/**
 * What a discovery source says of one address, apart from the operator's admin state so that
 * neither overwrites the other.
 */
public enum Readiness {
    /** Takes requests. */
    READY,
    /** Finishes the requests it has and takes no new one: a Kubernetes endpoint {@code serving && terminating}. */
    DRAIN,
    /** Out of rotation, kept as an upstream: a Kubernetes endpoint that is not {@code serving}. */
    OUT
}
