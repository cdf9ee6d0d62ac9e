package io.kodiak.upstream;

import io.kodiak.config.UpstreamConfig;

import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * One upstream server and the load state that belongs to it rather than to any configuration:
 * requests in flight and totals live here so that later reloads and health changes keep them.
 * Thread-safe.
 */
public final class Upstream {
    private final String pool;
    private final UpstreamConfig config;
    private final InetSocketAddress address;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final LongAdder requests = new LongAdder();
    private final LongAdder failures = new LongAdder();

    public Upstream(String pool, UpstreamConfig config) {
        this.pool = pool;
        this.config = config;
        this.address = new InetSocketAddress(config.host(), config.port());
    }

    public String pool() {
        return pool;
    }

    public String name() {
        return config.name();
    }

    public int weight() {
        return config.weight();
    }

    public InetSocketAddress address() {
        return address;
    }

    public int inFlight() {
        return inFlight.get();
    }

    /** A request was dispatched to this upstream. */
    public void begin() {
        inFlight.incrementAndGet();
        requests.increment();
    }

    /** A request dispatched here has finished, successfully or not. */
    public void end() {
        inFlight.decrementAndGet();
    }

    public void failed() {
        failures.increment();
    }

    public long requests() {
        return requests.sum();
    }

    public long failures() {
        return failures.sum();
    }

    @Override
    public String toString() {
        return pool + "/" + name() + "(" + config.address() + ", weight " + weight() + ", in flight " + inFlight + ")";
    }
}
