package io.kodiak.admin;

import io.kodiak.discovery.SharedState;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * An in-memory stand-in for the ConfigMap several Kodiak instances share: one text, each instance's
 * {@link #view()} watching it. Watchers are called on one thread of its own, as the real one calls
 * them on the discovery thread, and only when the text changed. A test can make writes fail
 * ({@link #failWith}), land without telling anyone yet ({@link #silent}), or write as another
 * instance would ({@link #push}).
 */
final class FakeSharedState implements AutoCloseable {
    private final ExecutorService delivery = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "fake-shared-state");
        t.setDaemon(true);
        return t;
    });
    private final List<Consumer<String>> watchers = new CopyOnWriteArrayList<>();
    private String text; // guarded by this
    volatile String failWith;
    volatile boolean silent;

    FakeSharedState(String initial) {
        this.text = initial;
    }

    synchronized String text() {
        return text;
    }

    /** Another writer's text: stored and delivered to every watcher. */
    synchronized void push(String next) {
        text = next;
        watchers.forEach(w -> delivery.execute(() -> w.accept(next)));
    }

    private synchronized CompletableFuture<Void> update(UnaryOperator<String> change) {
        if (failWith != null) {
            return CompletableFuture.failedFuture(new IllegalStateException(failWith));
        }
        String next;
        try {
            next = change.apply(text);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        boolean changed = !Objects.equals(next, text);
        text = next;
        if (changed && !silent) {
            watchers.forEach(w -> delivery.execute(() -> w.accept(next)));
        }
        return CompletableFuture.completedFuture(null);
    }

    /** What one instance opens: the shared text; closing it stops its watching only. */
    SharedState view() {
        return new SharedState() {
            private Consumer<String> mine;

            @Override
            public CompletableFuture<Void> update(UnaryOperator<String> change) {
                return FakeSharedState.this.update(change);
            }

            @Override
            public void watch(Consumer<String> onChange) {
                mine = onChange;
                synchronized (FakeSharedState.this) {
                    watchers.add(onChange);
                    String now = text;
                    delivery.execute(() -> onChange.accept(now));
                }
            }

            @Override
            public void close() {
                watchers.remove(mine);
            }
        };
    }

    @Override
    public void close() {
        delivery.shutdownNow();
    }
}
