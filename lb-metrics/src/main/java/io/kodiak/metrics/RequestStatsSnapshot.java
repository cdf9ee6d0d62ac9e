package io.kodiak.metrics;

/**
 * An immutable reading of a {@link RequestStats}: counters as of the reading, latencies as of the
 * latency snapshot taken with it. Counters are cumulative since the stats were created.
 */
public final class RequestStatsSnapshot {

    private final String target;
    private final long requests;
    private final long[] responses;
    private final long[] errors;
    private final long bytesIn;
    private final long bytesOut;
    private final LatencySnapshot latency;
    private final LatencySnapshot timeToFirstByte;
    private final LatencySnapshot connectTime;

    RequestStatsSnapshot(String target, long requests, long[] responses, long[] errors, long bytesIn, long bytesOut,
                         LatencySnapshot latency, LatencySnapshot timeToFirstByte, LatencySnapshot connectTime) {
        this.target = target;
        this.requests = requests;
        this.responses = responses.clone();
        this.errors = errors.clone();
        this.bytesIn = bytesIn;
        this.bytesOut = bytesOut;
        this.latency = latency;
        this.timeToFirstByte = timeToFirstByte;
        this.connectTime = connectTime;
    }

    public String target() {
        return target;
    }

    /** @return attempts started */
    public long requests() {
        return requests;
    }

    /** @return responses received in {@code statusClass} */
    public long responses(StatusClass statusClass) {
        return responses[statusClass.ordinal()];
    }

    /** @return attempts that failed for {@code cause} */
    public long errors(ErrorCause cause) {
        return errors[cause.ordinal()];
    }

    /** @return bytes read from the target */
    public long bytesIn() {
        return bytesIn;
    }

    /** @return bytes written to the target */
    public long bytesOut() {
        return bytesOut;
    }

    public LatencySnapshot latency() {
        return latency;
    }

    public LatencySnapshot timeToFirstByte() {
        return timeToFirstByte;
    }

    public LatencySnapshot connectTime() {
        return connectTime;
    }

    /** One log line; status classes and error causes with a zero count are left out. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(256).append(target).append("{requests=").append(requests);
        for (StatusClass c : StatusClass.values()) {
            if (responses[c.ordinal()] != 0) {
                sb.append(", ").append(c.label()).append('=').append(responses[c.ordinal()]);
            }
        }
        for (ErrorCause c : ErrorCause.values()) {
            if (errors[c.ordinal()] != 0) {
                sb.append(", ").append(c.label()).append('=').append(errors[c.ordinal()]);
            }
        }
        return sb.append(", bytesIn=").append(bytesIn).append(", bytesOut=").append(bytesOut)
                .append(", latency=").append(latency).append(", ttfb=").append(timeToFirstByte)
                .append(", connect=").append(connectTime).append('}').toString();
    }
}
