package io.kodiak.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A steady load against {@code wsgi/kodiak_test_app.py} behind Kodiak: a few client threads on
 * keep-alive connections alternating {@code GET /?seq=N} (or {@code GET /sleep?ms=M&seq=N}) and
 * {@code POST /echo?seq=N}, each request numbered in the order it is issued. A Gunicorn access
 * log then tells which numbered requests an instance received, whenever it wrote the line, and
 * the load tells which got a complete, correct response. Bounded: it stops on {@link #stop()} or
 * after {@code maxDuration}.
 */
public final class NumberedLoad implements AutoCloseable {
    private static final Pattern SEQ = Pattern.compile("[?&]seq=(\\d+)");

    private final int port;
    private final int sleepMillis;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicLong nextSeq = new AtomicLong();
    private final AtomicLong ok = new AtomicLong();
    private final Set<Long> okSeqs = ConcurrentHashMap.newKeySet();
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();

    private NumberedLoad(int port, int clients, int sleepMillis, Duration maxDuration) {
        this.port = port;
        this.sleepMillis = sleepMillis;
        long end = System.nanoTime() + maxDuration.toNanos();
        for (int i = 0; i < clients; i++) {
            Thread t = new Thread(() -> run(end), "numbered-load-" + i);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    /** {@code clients} threads against Kodiak's {@code port}; GETs go to {@code /sleep?ms=sleepMillis} if it is above 0. */
    public static NumberedLoad start(int port, int clients, int sleepMillis, Duration maxDuration) {
        return new NumberedLoad(port, clients, sleepMillis, maxDuration);
    }

    private void run(long end) {
        RawClient c = null;
        boolean post = false;
        while (running.get() && System.nanoTime() < end) {
            long seq = nextSeq.getAndIncrement();
            post = !post;
            String body = "payload-" + seq;
            try {
                if (c == null) {
                    c = RawClient.connect(port);
                }
                RawResponse r = post
                        ? c.exchange("POST /echo?seq=" + seq + " HTTP/1.1\r\nHost: app\r\nContent-Type: text/plain\r\n"
                        + "Content-Length: " + body.length() + "\r\n\r\n" + body)
                        : c.get(sleepMillis > 0 ? "/sleep?ms=" + sleepMillis + "&seq=" + seq : "/?seq=" + seq);
                if (r.status() != 200 || (post && !r.bodyString().equals(echoOf(body)))) {
                    failures.add("seq " + seq + ": " + r.status() + " " + r.bodyString());
                } else {
                    ok.incrementAndGet();
                    okSeqs.add(seq);
                }
                if ("close".equalsIgnoreCase(r.header("Connection"))) {
                    c.close();
                    c = null;
                }
            } catch (IOException e) {
                failures.add("seq " + seq + ": " + e);
                closeQuietly(c);
                c = null;
            }
        }
        closeQuietly(c);
    }

    /** What the test app's /echo answers: the body's SHA-256 and length, so a mangled body shows. */
    public static String echoOf(String body) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(body.getBytes(StandardCharsets.UTF_8));
            return "sha256=" + HexFormat.of().formatHex(d) + " len=" + body.length();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void closeQuietly(RawClient c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException ignored) {
                // dropped either way
            }
        }
    }

    /** The number the next request will carry: every request issued from now on has it or a higher one. */
    public long nextSeq() {
        return nextSeq.get();
    }

    /** Requests answered completely and correctly so far. */
    public long ok() {
        return ok.get();
    }

    /** Whether request {@code seq} got a complete, correct response. */
    public boolean answered(long seq) {
        return okSeqs.contains(seq);
    }

    /** Every failure so far: a status other than 200, a wrong body, or an I/O error, with its number. */
    public List<String> failures() {
        return List.copyOf(failures);
    }

    /** Waits (bounded) until {@code n} more requests have been answered than now. */
    public void awaitMore(long n, Duration limit) throws InterruptedException {
        long target = ok.get() + n;
        long deadline = System.nanoTime() + limit.toNanos();
        while (ok.get() < target && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        if (ok.get() < target) {
            throw new AssertionError("the load made no progress: " + ok.get() + " of " + target + " answered in " + limit
                    + "; failures: " + failures.stream().limit(5).toList());
        }
    }

    /** The request numbers in access log lines. */
    public static List<Long> seqs(List<String> accessLog) {
        List<Long> out = new ArrayList<>();
        for (String line : accessLog) {
            Matcher m = SEQ.matcher(line);
            if (m.find()) {
                out.add(Long.parseLong(m.group(1)));
            }
        }
        return out;
    }

    /** Stops issuing requests and waits for the ones in flight. */
    public void stop() throws InterruptedException {
        running.set(false);
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(15));
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
