package io.kodiak.proxy;

import org.glassfish.grizzly.Buffer;
import org.glassfish.grizzly.memory.Buffers;
import org.glassfish.grizzly.memory.MemoryManager;

/**
 * The client connection as the phases that write to it see it: a bounded output. The session
 * implements it; a phase cannot read, pause or close the client through it (those go through the
 * {@link Exchange}, the one caller of the session).
 */
interface ClientOutput {
    /** Most bytes queued for the client before Kodiak stops producing more. */
    int CLIENT_HIGH_WATER = 256 * 1024;

    /** Queues {@code b} for the client (the send timeout runs while bytes wait). */
    void write(Buffer b);

    /**
     * Queues {@code length} bytes of a file, sent by the kernel from the page cache (sendfile),
     * on a plain connection only: a TLS listener's filter must see the bytes to encrypt them.
     * {@code after} runs once the bytes were taken or the write failed (with the session's lock
     * held), so the file is closed only when nothing queued still reads it.
     */
    void writeFile(org.glassfish.grizzly.FileChunk chunk, int length, Runnable after);

    /** Whether {@link #writeFile} may be used: the connection has no TLS filter. */
    boolean sendsFiles();

    /** Queues the first {@code len} bytes of {@code bytes} (which the caller no longer changes). */
    default void write(byte[] bytes, int len) {
        write(Buffers.wrap(memory(), bytes, 0, len));
    }

    /** Whether the client takes more: below {@link #CLIENT_HIGH_WATER} bytes wait for it. */
    default boolean clientWritable() {
        return clientInflight() < CLIENT_HIGH_WATER;
    }

    /** Bytes queued and not yet taken by the client. */
    int clientInflight();

    MemoryManager<?> memory();
}
