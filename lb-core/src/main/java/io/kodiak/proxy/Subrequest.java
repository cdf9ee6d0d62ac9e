package io.kodiak.proxy;

import io.kodiak.auth.ForwardAuthReply;
import io.kodiak.http.BodyDecoder;
import io.kodiak.http.Bytes;
import io.kodiak.http.HeadParser;
import io.kodiak.http.HttpException;
import io.kodiak.http.RequestHead;
import io.kodiak.http.ResponseHead;
import io.kodiak.metrics.ErrorCause;
import io.kodiak.upstream.PoolRuntime;
import io.kodiak.upstream.Upstream;
import org.glassfish.grizzly.Buffer;
import org.glassfish.grizzly.CompletionHandler;
import org.glassfish.grizzly.WriteResult;
import org.glassfish.grizzly.memory.Buffers;

import java.io.ByteArrayOutputStream;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One subrequest of Kodiak's own (forward authentication's) to a pool: a bodiless GET on one
 * {@link Attempt}, so it takes an upstream as a proxied request does ({@link Dispatcher}: health,
 * drain, outlier ejection, a slot under {@code max-connections}), reuses the upstream's keep-alive
 * connections (a TLS pool's handshake included), and records its result where the pool's passive
 * health and metrics see it. The answer is read whole: its head (bounded as every upstream head),
 * and its body, kept only for a denial and up to {@code maxBody}.
 *
 * <p>No queue and no retry: with no upstream free the reply is {@link ForwardAuthReply.Failure#UNAVAILABLE}
 * at once (the pool's {@code max-connections} bounds the subrequests in flight), and a failure is
 * the reply. One deadline on the feature timer bounds the whole subrequest. When the client leaves
 * first, the subrequest still completes within that bound, so its connection goes back to the pool.
 *
 * <p>Threading: its monitor is the lock of every step ({@link Attempt} takes it for connect
 * completions); steps run on the upstream connection's selector thread, the timer's, or (for
 * {@link #start}) the client's. The reply is handed to {@code deliver}, never called under the
 * lock, so the filter that resumes a client's request never holds it.
 */
final class Subrequest implements UpstreamConnection.Owner, Attempt.Events {
    private final ProxyContext ctx;
    private final PoolRuntime pool;
    private final String target;
    private final byte[] fields;
    private final int maxBody;
    private final Consumer<ForwardAuthReply> done;
    private final Executor deliver;
    private final ExchangeMetrics metrics;
    private final long startedAt;
    private Attempt attempt;
    private ScheduledFuture<?> deadline;
    private boolean finished;
    private boolean anyByte;
    private ResponseHead head;
    private BodyDecoder decoder;
    /** A denial's body; null when the body is only drained. */
    private ByteArrayOutputStream body;

    Subrequest(ProxyContext ctx, PoolRuntime pool, String target, byte[] fields, int maxBody,
               Consumer<ForwardAuthReply> done, Executor deliver) {
        this.ctx = ctx;
        this.pool = pool;
        this.target = target;
        this.fields = fields;
        this.maxBody = maxBody;
        this.done = done;
        this.deliver = deliver;
        this.metrics = ExchangeMetrics.of(ctx.metrics);
        this.startedAt = ctx.now();
    }

    /** Picks an upstream and sends, or replies UNAVAILABLE (delivered later, as every reply). */
    synchronized void start(RequestHead original, String clientIp, long timeoutNanos, ScheduledExecutorService timer) {
        metrics.request(pool);
        Dispatcher d = new Dispatcher(pool);
        Upstream u = d.pick(original, clientIp);
        if (u == null) {
            finish(ForwardAuthReply.unavailable(d.noPick() == Dispatcher.NoPick.QUEUE
                    ? "every upstream of pool " + pool.name() + " is at max-connections"
                    : "no upstream of pool " + pool.name() + " is available"), 503);
            return;
        }
        d.attempting(u);
        try {
            deadline = timer.schedule(this::timedOut, timeoutNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            u.end(); // stopping: the slot was taken by the pick
            finish(ForwardAuthReply.error("Kodiak is stopping"), 500);
            return;
        }
        attempt = new Attempt(u, this, ctx, metrics, ctx.queues.get(pool), this);
        if (attempt.reusePooled()) {
            send();
        } else {
            attempt.connect(this);
        }
    }

    @Override
    public void connected(Attempt a) {
        if (a == attempt && !finished) {
            send();
        }
    }

    @Override
    public void connectFailed(Attempt a, ErrorCause cause, String why) {
        if (a != attempt || finished) {
            return;
        }
        a.connectFailed(cause);
        a.release(false);
        finish(ForwardAuthReply.error(pool.name() + "/" + a.upstream.name() + ": connect failed (" + why + ")"), 502);
    }

    private void send() {
        UpstreamConnection c = attempt.connection();
        Bytes h = new Bytes(128 + fields.length).append("GET ").append(target).append(" HTTP/1.1").crlf()
                .field("Host", UpstreamLeg.upstreamAuthority(attempt.upstream, pool.config().tls() != null));
        h.append(fields, 0, fields.length).crlf();
        Buffer b = Buffers.wrap(c.connection.getMemoryManager(), h.array(), 0, h.length());
        c.write(ctx, b, new CompletionHandler<WriteResult>() {
            @Override
            public void failed(Throwable t) {
                synchronized (Subrequest.this) {
                    if (!finished && attempt.connection() == c) {
                        closed("the write failed (" + t + ")");
                    }
                }
            }

            @Override
            public void completed(WriteResult result) {
            }

            @Override
            public void cancelled() {
            }

            @Override
            public void updated(WriteResult result) {
            }
        });
    }

    @Override
    public void onUpstreamRead(UpstreamConnection c, Buffer in) {
        synchronized (this) {
            if (finished || attempt == null || c != attempt.connection()) {
                if (c.owner == null || c.owner == this) {
                    c.pool.retire(c);
                }
                return;
            }
            anyByte = true;
            metrics.bytesFromUpstream(attempt.upstream, in.remaining());
            try {
                while (in.hasRemaining() && !finished) {
                    if (head == null) {
                        byte[] h = c.responseHeads.read(in);
                        if (h == null) {
                            return;
                        }
                        ResponseHead r = HeadParser.parseResponse(h, false);
                        if (r.isInterim()) {
                            continue;
                        }
                        if (r.status() == 101) {
                            throw new HttpException(502, "101 to a subrequest that asked for no upgrade");
                        }
                        headArrived(r);
                        if (decoder == null) {
                            complete(r.keepAlive() && !in.hasRemaining());
                        }
                    } else {
                        Buffer slice = decoder.decode(in);
                        if (slice != null && body != null) {
                            if (body.size() + slice.remaining() > maxBody) {
                                fail(ErrorCause.INVALID_RESPONSE, "a " + head.status() + " body over max-body (" + maxBody + " bytes)");
                                return;
                            }
                            byte[] part = new byte[slice.remaining()];
                            slice.get(part);
                            body.write(part, 0, part.length);
                        }
                        if (decoder.done()) {
                            complete(head.keepAlive() && !in.hasRemaining());
                        }
                    }
                }
            } catch (HttpException e) {
                fail(ErrorCause.INVALID_RESPONSE, "invalid answer: " + e.getMessage());
            }
        }
    }

    /** A final head: how its body is read, and whether it is kept (a denial's goes to the client). */
    private void headArrived(ResponseHead r) throws HttpException {
        head = r;
        attempt.headArrived(ctx.now());
        boolean keep = ForwardAuthReply.isDenial(r.status());
        if (keep && r.framing() == ResponseHead.Framing.LENGTH && r.contentLength() > maxBody) {
            throw new HttpException(502, "a " + r.status() + " body of " + r.contentLength() + " bytes, over max-body (" + maxBody + ")");
        }
        decoder = switch (r.framing()) {
            case NONE -> null;
            case LENGTH -> r.contentLength() == 0 ? null : BodyDecoder.length(r.contentLength());
            case CHUNKED -> BodyDecoder.chunked(502);
            case CLOSE -> BodyDecoder.closeDelimited();
        };
        body = keep && decoder != null ? new ByteArrayOutputStream(256) : null;
    }

    @Override
    public void onUpstreamClosed(UpstreamConnection c) {
        synchronized (this) {
            if (finished || attempt == null || c != attempt.connection()) {
                return;
            }
            if (head != null && decoder != null && decoder.completesOnEof()) {
                complete(false);
            } else if (!anyByte && attempt.mayRetryStale()) {
                attempt.retryStale(this); // a kept-alive connection the upstream had closed: it saw nothing
            } else {
                closed("the connection closed before the answer was complete");
            }
        }
    }

    private void closed(String why) {
        fail(ErrorCause.RESET, why);
    }

    /** The whole answer is in: the connection goes back to the pool if {@code reusable}. */
    private void complete(boolean reusable) {
        attempt.responded(head.status(), ctx.now());
        attempt.release(reusable);
        finish(ForwardAuthReply.answered(head.status(), head.fields(), body == null ? null : body.toByteArray()), head.status());
    }

    /** The attempt failed with the connection up: passive health counts it, and the connection closes. */
    private void fail(ErrorCause cause, String why) {
        attempt.failed(cause);
        attempt.release(false);
        finish(ForwardAuthReply.error(pool.name() + "/" + attempt.upstream.name() + ": " + why), 502);
    }

    private void timedOut() {
        synchronized (this) {
            if (finished) {
                return;
            }
            if (attempt.connection() == null) {
                attempt.connectFailed(ErrorCause.CONNECT_TIMEOUT);
                attempt.drop();
                finish(ForwardAuthReply.error(pool.name() + "/" + attempt.upstream.name() + ": no connection within the timeout"
                        + (attempt.backlogFull() ? " (" + attempt.backlogFullText() + ")" : "")), 504);
            } else {
                attempt.failed(ErrorCause.TIMEOUT);
                attempt.drop();
                finish(ForwardAuthReply.error(pool.name() + "/" + attempt.upstream.name() + ": no answer within the timeout"), 504);
            }
        }
    }

    /** Once: the deadline goes, the pool's metrics count it as {@code status}, and the reply is handed over. */
    private void finish(ForwardAuthReply reply, int status) {
        finished = true;
        if (deadline != null) {
            deadline.cancel(false);
        }
        metrics.response(pool, status, ctx.now() - startedAt);
        try {
            deliver.execute(() -> done.accept(reply));
        } catch (RejectedExecutionException e) {
            // Kodiak is stopping: the client's connection closes with it.
        }
    }

    @Override
    public synchronized String toString() {
        return "Subrequest[" + pool.name() + " GET " + target + (attempt == null ? "" : ", " + attempt)
                + (head == null ? "" : ", " + head) + (finished ? ", finished" : "") + "]";
    }
}
