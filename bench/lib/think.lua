-- wrk script for strategies.sh: each connection waits BENCH_THINK_MS between a response and
-- its next request (a user's think time), so the offered load stays below the upstreams'
-- capacity instead of saturating them as a closed loop without pauses would; and the
-- summary adds the percentiles wrk --latency does not print.
local think = tonumber(os.getenv("BENCH_THINK_MS") or "0")

function delay()
    return think
end

function done(summary, latency, requests)
    io.write(string.format("percentiles_us p50=%d p90=%d p99=%d p999=%d max=%d\n",
        latency:percentile(50), latency:percentile(90), latency:percentile(99),
        latency:percentile(99.9), latency.max))
end
