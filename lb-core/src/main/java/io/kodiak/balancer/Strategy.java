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

    /**
     * Picks for a request whose hash key is {@code key}. Only strategies that hash read the key;
     * the others pick as {@link #pick(Predicate)} does.
     */
    default Upstream pick(long key, Predicate<Upstream> eligible) {
        return pick(eligible);
    }

    /** Whether {@link #pick(long, Predicate)} reads the key, so that callers compute it only then. */
    default boolean usesKey() {
        return false;
    }
}
