package io.kodiak.proxy;

import io.kodiak.auth.ForwardAuthSender;
import io.kodiak.upstream.PoolRuntime;

/**
 * Kodiak's client for its own subrequests (forward authentication): each one a {@link Subrequest}
 * on the proxy's transport, connectors and keep-alive pools, so an auth service is a pool like any
 * other, with its health checks, outlier detection, drain and TLS. Replies are handed over on the
 * feature timer's thread, which holds no lock and only resumes requests.
 *
 * <p>Threading: any thread; it keeps no state of its own.
 */
final class SubrequestClient {
    private final ProxyContext ctx;
    private final FeatureRuntime features;

    SubrequestClient(ProxyContext ctx, FeatureRuntime features) {
        this.ctx = ctx;
        this.features = features;
    }

    /** A sender of subrequests to {@code pool}. */
    ForwardAuthSender to(PoolRuntime pool) {
        return (target, fields, original, clientIp, maxBody, timeoutNanos, done) ->
                new Subrequest(ctx, pool, target, fields, maxBody, done, features.timer())
                        .start(original, clientIp, timeoutNanos, features.timer());
    }

    @Override
    public String toString() {
        return "SubrequestClient[" + ctx.transport.getName() + "]";
    }
}
