package io.kodiak.config;

import java.nio.file.Path;

/**
 * Where request and response bodies spill when they outgrow memory, and how much disk all of them
 * together may take ({@code temp} in the file).
 *
 * @param dir      the process's temp directory; pools spill here unless their {@code buffering.temp-dir}
 *                 says otherwise. Kodiak creates it owner-only if missing (nginx {@code proxy_temp_path})
 * @param maxTotal the most bytes all temp files together may hold; past it responses are read at the
 *                 client's pace and request bodies that need disk get 503 with {@code Retry-After}
 */
public record TempConfig(Path dir, long maxTotal) {
    /** 4 GiB in a directory of Kodiak's own under the system temp directory. */
    public static final TempConfig DEFAULTS = new TempConfig(defaultDir(), 4L << 30);

    /**
     * {@code $TMPDIR/kodiak-USER}: Kodiak's own, so its files never mix with other programs' and a
     * shared /tmp cannot be used to pre-create them; per user, so two users' Kodiaks do not collide.
     */
    static Path defaultDir() {
        String user = System.getProperty("user.name", "kodiak").replaceAll("[^A-Za-z0-9._-]", "_");
        return Path.of(System.getProperty("java.io.tmpdir"), "kodiak-" + user);
    }
}
