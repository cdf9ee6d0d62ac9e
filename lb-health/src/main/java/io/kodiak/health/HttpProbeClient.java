package io.kodiak.health;

import com.ning.http.client.AsyncHandler;
import com.ning.http.client.AsyncHttpClient;
import com.ning.http.client.AsyncHttpClientConfig;
import com.ning.http.client.HttpResponseBodyPart;
import com.ning.http.client.HttpResponseHeaders;
import com.ning.http.client.HttpResponseStatus;
import com.ning.http.client.ListenableFuture;
import com.ning.http.client.Request;
import com.ning.http.client.RequestBuilder;

import com.ning.http.client.providers.grizzly.GrizzlyAsyncHttpProviderConfig;

import java.io.ByteArrayOutputStream;
import java.security.GeneralSecurityException;
import java.util.concurrent.ConcurrentHashMap;
import java.net.ConnectException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * HTTP checks (HAProxy's {@code option httpchk}) on one shared grizzly-http-client, which runs its
 * own selector threads, so checks never touch the proxy's. Every check opens a new connection and
 * sends {@code Connection: close}, as HAProxy's do: a check must see whether the upstream still
 * accepts connections, and must not hold one of a sync Gunicorn worker's keep-alive slots.
 *
 * <p>Each check has its own deadline on the given scheduler: at its timeout the check reports
 * {@link ProbeStatus#TIMEOUT} and its request is aborted, so a hung upstream ties up nothing beyond
 * that. At most {@link #MAX_BODY_BYTES} of a body are kept, and only when the check looks for
 * text in it.
 *
 * <p><b>Threading.</b> {@link #probe} and the probes' {@code start} may be called from any thread;
 * results are reported on the client's threads or the scheduler's, once per check.
 */
public final class HttpProbeClient implements AutoCloseable {

    /** How much of a response body is searched for {@link HttpCheck#expectBody()}. */
    public static final int MAX_BODY_BYTES = 64 * 1024;

    private final AsyncHttpClient client;
    private final ScheduledExecutorService timer;
    /**
     * TLS checks: the client makes each engine from the URL's host and port only, so every TLS
     * setting gets a host name of its own under {@code .invalid} (RFC 6761: never resolved) that
     * leads back to it, while the request connects to the target's address. The settings are held
     * weakly and the name of one no probe holds any more (a reload replaced it) is given to the
     * next new one, so the names, and the client's per-host bookkeeping behind them, stay as many
     * as the settings in use, however many reloads change TLS.
     */
    private final Map<ProbeTls, String> tlsHosts = new java.util.WeakHashMap<>(); // guarded by itself
    private final Map<String, java.lang.ref.WeakReference<ProbeTls>> tlsByHost = new ConcurrentHashMap<>();

    /** @param timer runs the check deadlines; not shut down by {@link #close()} */
    public HttpProbeClient(ScheduledExecutorService timer) {
        this.timer = Objects.requireNonNull(timer, "timer");
        AsyncHttpClientConfig config = new AsyncHttpClientConfig.Builder()
                .setAllowPoolingConnections(false)
                .setFollowRedirect(false)
                .setMaxRequestRetry(0)
                .setCompressionEnforced(false)
                .setUserAgent("Kodiak-health-check")
                // Each check enforces its own timeout; these only stop a check that outlives its deadline.
                .setConnectTimeout((int) TimeUnit.MINUTES.toMillis(1))
                .setRequestTimeout((int) TimeUnit.MINUTES.toMillis(1))
                .setReadTimeout((int) TimeUnit.MINUTES.toMillis(1))
                .setAsyncHttpClientProviderConfig(tlsEngines())
                .build();
        this.client = new AsyncHttpClient(config);
    }

    /**
     * @param address the target; must be resolved, so that no check ever waits for DNS
     * @param check   what to send and accept
     */
    public Probe probe(InetSocketAddress address, HttpCheck check) {
        return probe(address, check, null);
    }

    /**
     * A check over TLS ({@code https}) when {@code tls} is given: the handshake, with the
     * verification {@code tls} sets up, is part of the check, so a certificate that fails fails it.
     *
     * @param tls the target's TLS, or {@code null} for plain HTTP
     */
    public Probe probe(InetSocketAddress address, HttpCheck check, ProbeTls tls) {
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("address must be resolved: " + address);
        }
        return new HttpProbe(address, check, tls);
    }

    private GrizzlyAsyncHttpProviderConfig tlsEngines() {
        GrizzlyAsyncHttpProviderConfig c = new GrizzlyAsyncHttpProviderConfig();
        c.setSslEngineFactory((host, port) -> {
            java.lang.ref.WeakReference<ProbeTls> ref = tlsByHost.get(host);
            ProbeTls tls = ref == null ? null : ref.get();
            if (tls == null) {
                throw new GeneralSecurityException("no TLS settings for " + host);
            }
            return tls.newEngine();
        });
        return c;
    }

    /** The URL host that leads the engine factory to {@code tls}. */
    private String tlsHost(ProbeTls tls) {
        synchronized (tlsHosts) {
            String known = tlsHosts.get(tls);
            if (known != null) {
                return known;
            }
            String host = null;
            for (Map.Entry<String, java.lang.ref.WeakReference<ProbeTls>> e : tlsByHost.entrySet()) {
                if (e.getValue().get() == null) { // a setting no probe holds: its name is free
                    host = e.getKey();
                    break;
                }
            }
            if (host == null) {
                host = "tls" + (tlsByHost.size() + 1) + ".kodiak-check.invalid";
            }
            tlsByHost.put(host, new java.lang.ref.WeakReference<>(tls));
            tlsHosts.put(tls, host);
            return host;
        }
    }

    /** Aborts checks in flight (they report {@link ProbeStatus#ERROR}) and stops the client's threads. */
    @Override
    public void close() {
        client.close();
    }

    @Override
    public String toString() {
        return "HttpProbeClient" + (client.isClosed() ? "[closed]" : "");
    }

    /** The deepest TLS or certificate failure in {@code t}'s causes (the most specific reason), or null. */
    private static Throwable tlsFailure(Throwable t) {
        Throwable found = null;
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof javax.net.ssl.SSLException || c instanceof java.security.cert.CertificateException) {
                found = c;
            }
        }
        return found;
    }

    private static String authority(InetSocketAddress a) {
        String host = a.getAddress() instanceof Inet6Address
                ? "[" + a.getAddress().getHostAddress() + "]" : a.getAddress().getHostAddress();
        return host + ":" + a.getPort();
    }

    private final class HttpProbe implements Probe {
        private final InetSocketAddress address;
        private final HttpCheck check;
        private final String url;
        /** What the check's messages call it: the URL as a user would write it. */
        private final String shown;
        private final boolean tls;
        /** Held for as long as the probe lives: the client finds its engine by the name, weakly. */
        private final ProbeTls settings;

        HttpProbe(InetSocketAddress address, HttpCheck check, ProbeTls tls) {
            this.address = address;
            this.check = Objects.requireNonNull(check, "check");
            this.tls = tls != null;
            this.settings = tls;
            this.shown = (tls == null ? "http://" : "https://") + authority(address) + check.path();
            this.url = tls == null ? shown : "https://" + tlsHost(tls) + ":" + address.getPort() + check.path();
        }

        @Override
        public void start(Duration timeout, Consumer<ProbeResult> callback) {
            if (client.isClosed()) {
                throw new IllegalStateException("HTTP check client is closed");
            }
            long startNanos = System.nanoTime();
            Check c = new Check(callback, startNanos);
            RequestBuilder rb = new RequestBuilder(check.method()).setUrl(url).setFollowRedirects(false)
                    .setHeader("Connection", "close");
            if (tls) {
                rb.setInetAddress(address.getAddress()); // the URL's host only names the TLS settings
            }
            if (check.host() != null) {
                rb.setVirtualHost(check.host());
            } else if (tls) {
                rb.setVirtualHost(authority(address)); // the Host a plain check sends
            }
            Request request = rb.build();
            try {
                c.deadline = timer.schedule(c::expire, timeout.toNanos(), TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException e) {
                throw new IllegalStateException("health check scheduler is shut down", e);
            }
            try {
                c.future = client.executeRequest(request, c);
            } catch (RuntimeException e) {
                c.deadline.cancel(false); // the checker reports the failure to start
                throw e;
            }
            if (c.reported.get()) {
                c.future.abort(new TimeoutException("health check timed out")); // expired before we had the future
            }
        }

        @Override
        public String toString() {
            return (tls ? "https " : "http ") + check.method() + " " + shown + (check.host() == null ? "" : " (Host: " + check.host() + ")");
        }

        /** One check in flight: the response handler, its deadline and its single report. */
        private final class Check implements AsyncHandler<Void> {
            private final Consumer<ProbeResult> callback;
            private final long startNanos;
            private final AtomicBoolean reported = new AtomicBoolean();
            private final ByteArrayOutputStream body = new ByteArrayOutputStream();
            private volatile ScheduledFuture<?> deadline;
            private volatile ListenableFuture<Void> future;
            private int status;
            private final Map<String, String> captured = new HashMap<>();

            Check(Consumer<ProbeResult> callback, long startNanos) {
                this.callback = callback;
                this.startNanos = startNanos;
            }

            void expire() {
                if (report(ProbeStatus.TIMEOUT, "no complete response from " + address + " in time")) {
                    ListenableFuture<Void> f = future;
                    if (f != null) {
                        f.abort(new TimeoutException("health check timed out"));
                    }
                }
            }

            /** @return whether this was the first report */
            private boolean report(ProbeStatus s, String detail) {
                if (!reported.compareAndSet(false, true)) {
                    return false;
                }
                ScheduledFuture<?> d = deadline;
                if (d != null) {
                    d.cancel(false);
                }
                callback.accept(new ProbeResult(s, detail, System.nanoTime() - startNanos,
                        s == ProbeStatus.SUCCESS ? captured : Map.of()));
                return true;
            }

            @Override
            public STATE onStatusReceived(HttpResponseStatus s) {
                status = s.getStatusCode();
                return STATE.CONTINUE;
            }

            @Override
            public STATE onHeadersReceived(HttpResponseHeaders headers) {
                for (String name : check.captureHeaders()) {
                    String value = headers.getHeaders().getFirstValue(name);
                    if (value != null) {
                        captured.put(name, value.trim());
                    }
                }
                return STATE.CONTINUE;
            }

            @Override
            public STATE onBodyPartReceived(HttpResponseBodyPart part) {
                if (check.expectBody() != null && body.size() < MAX_BODY_BYTES) {
                    byte[] bytes = part.getBodyPartBytes();
                    body.write(bytes, 0, Math.min(bytes.length, MAX_BODY_BYTES - body.size()));
                }
                return STATE.CONTINUE;
            }

            @Override
            public Void onCompleted() {
                if (!check.accepts(status)) {
                    report(ProbeStatus.UNEXPECTED_RESPONSE, "HTTP " + status + ", expected " + check.expectStatus());
                } else if (check.expectBody() != null
                        && !body.toString(StandardCharsets.UTF_8).contains(check.expectBody())) {
                    report(ProbeStatus.UNEXPECTED_RESPONSE, "HTTP " + status + " without \"" + check.expectBody()
                            + "\" in the first " + MAX_BODY_BYTES + " bytes of the body");
                } else {
                    report(ProbeStatus.SUCCESS, "HTTP " + status);
                }
                return null;
            }

            @Override
            public void onThrowable(Throwable t) {
                Throwable cause = t;
                while (cause.getCause() != null && cause.getCause() != cause && !(cause instanceof ConnectException)) {
                    cause = cause.getCause();
                }
                ProbeStatus s;
                Throwable tls = tlsFailure(t);
                if (tls != null) {
                    // The target's certificate (or its TLS) failed the handshake: its answer, not our problem.
                    report(ProbeStatus.UNEXPECTED_RESPONSE, check.method() + " " + shown + ": TLS handshake failed: "
                            + tls.getMessage());
                    return;
                }
                if (cause instanceof ConnectException) {
                    s = ProbeStatus.REFUSED;
                } else if (cause instanceof NoRouteToHostException || cause instanceof UnknownHostException) {
                    s = ProbeStatus.UNREACHABLE;
                } else if (cause instanceof TimeoutException) {
                    s = ProbeStatus.TIMEOUT;
                } else if (status != 0) {
                    s = ProbeStatus.UNEXPECTED_RESPONSE; // the response started, then broke off or was invalid
                } else {
                    s = ProbeStatus.ERROR;
                }
                report(s, check.method() + " " + shown + ": " + cause);
            }
        }
    }
}
