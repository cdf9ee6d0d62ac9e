package io.kodiak.proxy;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * What the feature filters of every listener and route share for the life of the process, across
 * reloads: the timer that resumes suspended requests ({@link io.kodiak.filter.Suspension}), and
 * the state a feature keeps beyond one configuration (a rate limit's zone keeps its counts when a
 * reload leaves the zone as it was, as nginx's shared memory zones do). {@link FeatureFilters}
 * hands each feature what it needs from here when a router is built.
 *
 * <p>Threading: shared by every selector thread; each part is thread-safe. {@link #close} once,
 * when the server stops.
 */
public final class FeatureRuntime implements AutoCloseable {
    /**
     * One daemon thread that only hands resumptions back to their connections' own threads: the
     * work of a resumed request never runs on it. A removed task (a request gone before its time)
     * leaves the queue at once, so held requests cost the queue nothing once they end.
     */
    private final ScheduledThreadPoolExecutor timer;

    // --- slots: each feature that keeps state across requests adds its part below its comment ---
    // rate-limit: the zones of rate-limits and concurrency-limits, by name and definition
    private final io.kodiak.limit.LimitZones limitZones = new io.kodiak.limit.LimitZones();
    // basic-auth:
    /** Password checks off the selector threads, recent verifications, htpasswd watches (no thread until used). */
    private final io.kodiak.auth.BasicAuthRuntime basicAuth;
    // forward-auth: the client of its subrequests, on the proxy's transport; set once the
    // ProxyContext exists (a runtime without one, in tests of routers, has none)
    private volatile SubrequestClient subrequests;
    // access: the source files watched for changes (a thread of its own, started with the first file)
    private final AccessFiles access = new AccessFiles();
    // request-rules:

    public FeatureRuntime() {
        timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "kodiak-feature-timer");
            t.setDaemon(true);
            return t;
        });
        timer.setRemoveOnCancelPolicy(true);
        timer.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        basicAuth = new io.kodiak.auth.BasicAuthRuntime(timer);
    }

    /** What every basic-auth section shares. */
    public io.kodiak.auth.BasicAuthRuntime basicAuth() {
        return basicAuth;
    }

    /** rate-limit, concurrency-limit: the zones' state, kept while their definitions stay the same. */
    public io.kodiak.limit.LimitZones limitZones() {
        return limitZones;
    }

    /** forward-auth: binds the subrequest client (the ProxyContext, once, when it is made). */
    void subrequests(SubrequestClient client) {
        subrequests = client;
    }

    /** forward-auth: the subrequest client. */
    SubrequestClient subrequests() {
        SubrequestClient c = subrequests;
        if (c == null) {
            throw new IllegalStateException("forward-auth needs the proxy's transport; this runtime has none");
        }
        return c;
    }

    /** The timer for {@link io.kodiak.filter.Suspension#resumeAfter}; its tasks must be short and never block. */
    public ScheduledExecutorService timer() {
        return timer;
    }

    /** The access rules' watched source files. */
    AccessFiles access() {
        return access;
    }

    @Override
    public void close() {
        timer.shutdownNow();
        // rate-limit, basic-auth, forward-auth, access, request-rules: close what they hold below
        basicAuth.close();
        access.close();
    }

    /** Waits a little for the timer to stop (tests that count threads). */
    boolean awaitClosed(long millis) throws InterruptedException {
        return timer.awaitTermination(millis, TimeUnit.MILLISECONDS);
    }
}
