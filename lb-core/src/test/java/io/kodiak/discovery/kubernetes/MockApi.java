package io.kodiak.discovery.kubernetes;

import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.function.Function;

/**
 * fabric8's Kubernetes API mock in CRUD mode (it stores what is created and serves lists and
 * watches of it), on 127.0.0.1 at a free port, with a hook that answers chosen requests itself
 * (a 403, a 409) before the CRUD store sees them, and a restart on the same port (a dropped
 * watch). Clients reconnect after 100 ms instead of 1 s so that the tests are quick. Close it
 * before the watches (see {@link #close()}).
 */
final class MockApi implements AutoCloseable {
    private final List<KubernetesClient> clients = new ArrayList<>();
    private final Faults faults = new Faults();
    private KubernetesMockServer server;
    private int port;

    MockApi() {
        server = start(0);
        port = server.getPort();
    }

    private KubernetesMockServer start(int at) {
        faults.crud = new KubernetesCrudDispatcher();
        KubernetesMockServer s = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), faults, false);
        s.init(InetAddress.getLoopbackAddress(), at);
        return s;
    }

    /** A client whose default namespace is {@code namespace}. */
    KubernetesClient client(String namespace) {
        KubernetesClient base = server.createClient();
        KubernetesClient c = new KubernetesClientBuilder().withConfig(new ConfigBuilder(base.getConfiguration())
                .withNamespace(namespace).withWatchReconnectInterval(100).withRequestRetryBackoffLimit(0).build()).build();
        base.close();
        clients.add(c);
        return c;
    }

    /** The API server's URL, for a kubeconfig. */
    String url() {
        return server.url("/");
    }

    /** Answers the requests {@code fault} returns a response for; {@code null} ends it. */
    void fault(Function<RecordedRequest, MockResponse> fault) {
        faults.fault = fault;
    }

    /** Stops the server (every watch drops), then starts an empty one on the same port. */
    void restart() {
        server.destroy();
        server = start(port);
    }

    /** Stops the server until {@link #restart()}... or for good. */
    void stop() {
        server.destroy();
    }

    static MockResponse status(int code, String reason, String message) {
        String body = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\""
                + message.replace("\"", "\\\"") + "\",\"reason\":\"" + reason + "\",\"code\":" + code + "}";
        return new MockResponse().setResponseCode(code).setHeader("Content-Type", "application/json").setBody(body);
    }

    /**
     * The server goes first: a watch the client closes makes the mock's websocket close wait on its
     * own event loop (fabric8 8.0.0's WatchEventsListener.onClosed), for up to a minute, which stalls
     * every mock server in the JVM; one the server closes does not.
     */
    @Override
    public void close() {
        server.destroy();
        clients.forEach(KubernetesClient::close);
    }

    private static final class Faults extends Dispatcher {
        volatile Function<RecordedRequest, MockResponse> fault;
        volatile KubernetesCrudDispatcher crud;

        @Override
        public MockResponse dispatch(RecordedRequest request) {
            Function<RecordedRequest, MockResponse> f = fault;
            MockResponse answer = f == null ? null : f.apply(request);
            return answer != null ? answer : crud.dispatch(request);
        }
    }
}
