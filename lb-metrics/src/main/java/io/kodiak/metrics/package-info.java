/**
 * Request metrics for one target at a time, independent of proxying: {@link io.kodiak.metrics.LatencyRecorder}
 * (per-thread HdrHistograms merged on read into a rolling window and cumulative Prometheus-style buckets)
 * and {@link io.kodiak.metrics.RequestStats} (counters by status class and error cause, bytes, and three
 * latency recorders). Recording is non-blocking from any thread; reading is for one periodic publisher.
 */
package io.kodiak.metrics;
