package io.kodiak.discovery;

/** A running source. Closing it stops its queries or its watch; no call to its listener follows. */
public interface Watch extends AutoCloseable {
    /** As of now; any thread. */
    SourceStatus status();

    @Override
    void close();
}
