package io.kodiak.metrics;

import java.util.concurrent.atomic.LongAdder;

/**
 * Request counters and latency recorders for one target: whatever the caller counts requests against,
 * such as one upstream server or one pool. The target is only a name here.
 *
 * <p>Counting convention, so that {@code requests = responses + errors + in flight}: call
 * {@link #recordRequest()} once per attempt when it starts (before connecting), then exactly one of
 * {@link #recordResponse(int)} or {@link #recordError(ErrorCause)} when it ends. A retry on another
 * target is a new attempt there.
 *
 * <p><b>Threading.</b> The record methods may be called from any thread and never block: counters are
 * {@link LongAdder}s and latencies go to {@link LatencyRecorder}s. {@link #snapshot()} closes a latency
 * interval and belongs to the one periodic metrics publisher (see {@link LatencyRecorder});
 * {@link #toString()} has no side effects and may be called from anywhere.
 */
public final class RequestStats {

    private static final StatusClass[] STATUS_CLASSES = StatusClass.values();
    private static final ErrorCause[] ERROR_CAUSES = ErrorCause.values();

    private final String target;
    private final LongAdder requests = new LongAdder();
    private final LongAdder[] responses = adders(STATUS_CLASSES.length);
    private final LongAdder[] errors = adders(ERROR_CAUSES.length);
    private final LongAdder bytesIn = new LongAdder();
    private final LongAdder bytesOut = new LongAdder();
    private final LatencyRecorder latency;
    private final LatencyRecorder timeToFirstByte;
    private final LatencyRecorder connectTime;

    /** Stats with {@link LatencySettings#DEFAULT} latency recorders. */
    public RequestStats(String target) {
        this(target, LatencySettings.DEFAULT);
    }

    /**
     * @param target   names the target in snapshots and log lines
     * @param settings for all three latency recorders
     */
    public RequestStats(String target, LatencySettings settings) {
        this.target = target;
        this.latency = new LatencyRecorder(target + " latency", settings);
        this.timeToFirstByte = new LatencyRecorder(target + " time to first byte", settings);
        this.connectTime = new LatencyRecorder(target + " connect time", settings);
    }

    private static LongAdder[] adders(int n) {
        LongAdder[] adders = new LongAdder[n];
        for (int i = 0; i < n; i++) {
            adders[i] = new LongAdder();
        }
        return adders;
    }

    public String target() {
        return target;
    }

    /** @return attempts started so far (live, unlike a snapshot's latencies) */
    public long requestCount() {
        return requests.sum();
    }

    /** @return responses in {@code statusClass} so far */
    public long responseCount(StatusClass statusClass) {
        return responses[statusClass.ordinal()].sum();
    }

    /** @return attempts that failed for {@code cause} so far */
    public long errorCount(ErrorCause cause) {
        return errors[cause.ordinal()].sum();
    }

    /** @return bytes read from the target so far */
    public long bytesInCount() {
        return bytesIn.sum();
    }

    /** @return bytes written to the target so far */
    public long bytesOutCount() {
        return bytesOut.sum();
    }

    /** Counts one attempt, when it starts. */
    public void recordRequest() {
        requests.increment();
    }

    /**
     * Counts one response by its status class.
     *
     * @param status 100..599
     * @throws IllegalArgumentException for any other value: count that as {@link ErrorCause#INVALID_RESPONSE}
     */
    public void recordResponse(int status) {
        responses[StatusClass.of(status).ordinal()].increment();
    }

    /** Counts one attempt that ended without a usable response. */
    public void recordError(ErrorCause cause) {
        errors[cause.ordinal()].increment();
    }

    /** @param bytes read from the target */
    public void addBytesIn(long bytes) {
        bytesIn.add(bytes);
    }

    /** @param bytes written to the target */
    public void addBytesOut(long bytes) {
        bytesOut.add(bytes);
    }

    /** @return the recorder for the whole exchange: attempt start to last response byte */
    public LatencyRecorder latency() {
        return latency;
    }

    /** @return the recorder for attempt start (request fully sent, for a buffered request) to first response byte */
    public LatencyRecorder timeToFirstByte() {
        return timeToFirstByte;
    }

    /** @return the recorder for TCP connect durations (only for attempts that opened a new connection) */
    public LatencyRecorder connectTime() {
        return connectTime;
    }

    /**
     * Reads the counters and closes an interval on the three latency recorders
     * ({@link LatencyRecorder#snapshot()}); for the periodic metrics publisher.
     */
    public RequestStatsSnapshot snapshot() {
        return read(latency.snapshot(), timeToFirstByte.snapshot(), connectTime.snapshot());
    }

    private RequestStatsSnapshot read(LatencySnapshot latencySnapshot, LatencySnapshot ttfbSnapshot,
                                      LatencySnapshot connectSnapshot) {
        long[] responseCounts = new long[responses.length];
        for (int i = 0; i < responseCounts.length; i++) {
            responseCounts[i] = responses[i].sum();
        }
        long[] errorCounts = new long[errors.length];
        for (int i = 0; i < errorCounts.length; i++) {
            errorCounts[i] = errors[i].sum();
        }
        return new RequestStatsSnapshot(target, requests.sum(), responseCounts, errorCounts, bytesIn.sum(),
                bytesOut.sum(), latencySnapshot, ttfbSnapshot, connectSnapshot);
    }

    /** Current counters with the latencies of the last snapshot; closes no interval. */
    @Override
    public String toString() {
        return read(latency.lastSnapshot(), timeToFirstByte.lastSnapshot(), connectTime.lastSnapshot()).toString();
    }
}
