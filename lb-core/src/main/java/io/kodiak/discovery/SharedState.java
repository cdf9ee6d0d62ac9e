package io.kodiak.discovery;

import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * A small document every Kodiak instance reads and any may change: the admin states set through
 * {@code kodiak ctl} (a Kubernetes ConfigMap's {@code state.json}). Changes are compare-and-set,
 * retried on a conflict, so two instances changing it at once both land.
 */
public interface SharedState extends AutoCloseable {
    /**
     * Changes the document: {@code change} gets the current text ({@code null} if there is none) and
     * returns the new one; it may run more than once (after a conflict).
     *
     * @return completes when written, or exceptionally with a message an operator can act on
     *         (e.g. the RBAC permission missing)
     */
    CompletableFuture<Void> update(UnaryOperator<String> change);

    /** Calls {@code onChange} with the current text once it is known, and after every change by anyone. */
    void watch(Consumer<String> onChange);

    @Override
    void close();
}
