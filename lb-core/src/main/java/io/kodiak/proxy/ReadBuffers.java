package io.kodiak.proxy;

import org.glassfish.grizzly.Buffer;

/** Taking ownership of the buffers Grizzly reads into. */
final class ReadBuffers {
    private ReadBuffers() {
    }

    /**
     * Grizzly marks each read buffer disposable: once disposed (for example by the async writer
     * after the buffer was written), its memory returns to a thread-local pool and the next read
     * lands in it. Kodiak keeps slices of read buffers in spools and body buffers, and writes them
     * later, so the memory must stay ours until the garbage collector frees it.
     */
    static Buffer own(Object message) {
        Buffer b = (Buffer) message;
        b.allowBufferDispose(false);
        return b;
    }
}
