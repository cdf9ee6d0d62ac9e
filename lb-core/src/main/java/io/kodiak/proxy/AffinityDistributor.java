package io.kodiak.proxy;

import org.glassfish.grizzly.CompletionHandler;
import org.glassfish.grizzly.Connection;
import org.glassfish.grizzly.Processor;
import org.glassfish.grizzly.nio.AbstractNIOConnectionDistributor;
import org.glassfish.grizzly.nio.NIOTransport;
import org.glassfish.grizzly.nio.RegisterChannelResult;
import org.glassfish.grizzly.nio.SelectorRunner;

import java.io.IOException;
import java.nio.channels.SelectableChannel;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Spreads accepted client connections over the selector threads round-robin, but registers an
 * upstream connection on the selector thread that opened it, which is the thread of the client
 * connection it serves. All events of one exchange then run on one thread: the session lock is
 * never contended and no selector has to wake another.
 */
final class AffinityDistributor extends AbstractNIOConnectionDistributor {
    /** The upstream chains (plain and TLS): connections on them are upstream connections. */
    private final java.util.Set<Processor<?>> upstreamProcessors;
    private final AtomicInteger next = new AtomicInteger();

    AffinityDistributor(NIOTransport transport, java.util.Set<Processor<?>> upstreamProcessors) {
        super(transport);
        this.upstreamProcessors = upstreamProcessors;
    }

    @Override
    public void registerChannel(SelectableChannel channel, int interestOps, Object attachment) throws IOException {
        transport.getSelectorHandler().registerChannel(pick(attachment), channel, interestOps, attachment);
    }

    @Override
    public void registerChannelAsync(SelectableChannel channel, int interestOps, Object attachment,
                                     CompletionHandler<RegisterChannelResult> done) {
        transport.getSelectorHandler().registerChannelAsync(pick(attachment), channel, interestOps, attachment, done);
    }

    @Override
    public void registerServiceChannelAsync(SelectableChannel channel, int interestOps, Object attachment,
                                            CompletionHandler<RegisterChannelResult> done) {
        transport.getSelectorHandler().registerChannelAsync(roundRobin(), channel, interestOps, attachment, done);
    }

    private SelectorRunner pick(Object attachment) {
        if (attachment instanceof Connection<?> c && c.getProcessor() != null && upstreamProcessors.contains(c.getProcessor())) {
            Thread current = Thread.currentThread();
            for (SelectorRunner r : getTransportSelectorRunners()) {
                if (r.getRunnerThread() == current) {
                    return r;
                }
            }
        }
        return roundRobin();
    }

    private SelectorRunner roundRobin() {
        SelectorRunner[] runners = getTransportSelectorRunners();
        return runners[Math.floorMod(next.getAndIncrement(), runners.length)];
    }
}
