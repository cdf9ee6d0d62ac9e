package io.kodiak.balancer;

import java.util.function.Predicate;

/**
 * Picks the upstream for one request. Implementations are plain Java (no Grizzly) and must be
 * safe to call from several selector threads at once. The candidate list is fixed for the
 * strategy's lifetime: a membership change builds a new strategy, while load state lives on the
 * candidates themselves.
 *
 * @param <B> what is picked: a strategy reads only the {@link Backend} view of it and hands back
 *            one of the candidates it was built over, so the caller gets its own type back
 *            ({@code Strategy<Upstream>} on the data path)
 */
public interface Strategy<B extends Backend> {
    /**
     * @param eligible which candidates may be picked now (e.g. not already tried for this request)
     * @return the candidate, or {@code null} if none is eligible
     */
    B pick(Predicate<? super B> eligible);

    /**
     * Picks for a request whose hash key is {@code key}. Only strategies that hash read the key;
     * the others pick as {@link #pick(Predicate)} does.
     */
    default B pick(long key, Predicate<? super B> eligible) {
        return pick(eligible);
    }

    /** Whether {@link #pick(long, Predicate)} reads the key, so that callers compute it only then. */
    default boolean usesKey() {
        return false;
    }
}
