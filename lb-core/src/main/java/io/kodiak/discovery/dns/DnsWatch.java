package io.kodiak.discovery.dns;

import io.kodiak.discovery.DiscoveryListener;
import io.kodiak.discovery.DnsSettings;
import io.kodiak.discovery.Watch;

import java.util.concurrent.ScheduledExecutorService;
import java.util.function.LongSupplier;

/** Step 0 placeholder of issue 18: builder A writes the real watch (dnsjava, TTLs, holds). */
public final class DnsWatch {
    private DnsWatch() {
    }

    /**
     * Starts following {@code host} on {@code scheduler}; listener calls come from it.
     *
     * @param wallClock milliseconds (tests inject one)
     */
    public static Watch start(DnsSettings resolver, String host, int port, boolean srv, DiscoveryListener listener,
                              ScheduledExecutorService scheduler, LongSupplier wallClock) {
        throw new UnsupportedOperationException("DNS discovery is being built (issue 18)");
    }
}
