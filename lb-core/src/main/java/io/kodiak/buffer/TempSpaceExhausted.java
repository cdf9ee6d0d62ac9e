package io.kodiak.buffer;

import java.io.IOException;

/** A request body needed temp space and the process's budget ({@link TempSpace}) is spent: answer 503, retry later. */
public final class TempSpaceExhausted extends IOException {
    public TempSpaceExhausted(TempSpace space) {
        super("temp space exhausted (" + space.used() + " of " + space.max() + " bytes in use)");
    }
}
