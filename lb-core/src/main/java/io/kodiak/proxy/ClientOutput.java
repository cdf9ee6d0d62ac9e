package io.kodiak.proxy;

import org.glassfish.grizzly.Buffer;
import org.glassfish.grizzly.memory.MemoryManager;

/**
 * The client connection as the phases that write to it see it: a bounded output. The session
 * implements it; a phase cannot read, pause or close the client through it.
 */
interface ClientOutput {
    /** Queues {@code b} for the client (the send timeout runs while bytes wait). */
    void write(Buffer b);

    /** Bytes queued and not yet taken by the client. */
    int clientInflight();

    MemoryManager<?> memory();
}
