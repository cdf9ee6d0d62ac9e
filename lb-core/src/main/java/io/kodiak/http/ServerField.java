package io.kodiak.http;

/**
 * What {@link ResponseEncoder} does with the {@code Server} field of a response to the client.
 * The listener's configuration ({@code io.kodiak.config.ServerHeaderPolicy}) implements it, so the
 * codec needs nothing of the configuration model.
 */
public interface ServerField {
    /** Whether the upstream's own {@code Server} field reaches the client. */
    boolean passesUpstream();

    /** Whether Kodiak writes a {@code Server} field of its own, with {@link #value()}. */
    boolean setsOwn();

    /** The value Kodiak writes when {@link #setsOwn()}. */
    String value();
}
