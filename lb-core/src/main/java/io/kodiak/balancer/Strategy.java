package io.kodiak.balancer;

import io.kodiak.upstream.Upstream;

import java.util.function.Predicate;

/**
 * Picks the upstream for one request. Implementations are plain Java (no Grizzly) and must be
 * safe to call from several selector threads at once. The candidate list is fixed for the
 * strategy's lifetime: a membership change builds a new strategy, while load state lives on
 * {@link Upstream}.
 */
public interface Strategy {
    /**
     * @param eligible which upstreams may be picked now (e.g. not already tried for this request)
     * @return the upstream, or {@code null} if none is eligible
     */
    Upstream pick(Predicate<Upstream> eligible);
}
