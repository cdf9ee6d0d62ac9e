package io.kodiak.filter;

import io.kodiak.http.FieldEdits;
import io.kodiak.http.RequestHead;

import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;

/**
 * The variables of a response, as a response's {@link Template} names them: every
 * {@link RequestVariables request variable}, plus nginx's {@code $status}, {@code $upstream_addr}
 * (the address that answered, {@code 10.0.0.5:8000}), {@code $upstream_http_NAME} (a field of the
 * upstream's response), and Kodiak's {@code $upstream_name} (the upstream's configured name).
 * Stateless; any thread.
 */
public final class ResponseVariables {
    /** The names this lookup knows. */
    public static final Predicate<String> NAMES = new Predicate<>() {
        private static final List<String> OWN = List.of("status", "upstream_addr", "upstream_name");

        @Override
        public boolean test(String name) {
            return OWN.contains(name) || name.startsWith("upstream_http_") && name.length() > 14
                    || RequestVariables.NAMES.test(name);
        }

        @Override
        public String toString() {
            return RequestVariables.NAMES + ", " + String.join(", ", OWN) + ", upstream_http_NAME";
        }
    };

    private ResponseVariables() {
    }

    /** The lookup for one response. */
    public static Template.Lookup of(ResponseContext r) {
        RequestContext request = new RequestView(r);
        return name -> switch (name) {
            case "status" -> Integer.toString(r.head().status());
            case "upstream_addr" -> r.upstreamAddress();
            case "upstream_name" -> r.upstreamName();
            default -> name.startsWith("upstream_http_")
                    ? r.head().fields().get(name.substring(14).replace('_', '-').toLowerCase(Locale.ROOT))
                    : RequestVariables.get(request, name);
        };
    }

    /** The request side of a response, read-only: what {@link RequestVariables} reads. */
    private record RequestView(ResponseContext r) implements RequestContext {
        @Override
        public RequestHead head() {
            return r.request();
        }

        @Override
        public String clientAddress() {
            return r.clientAddress();
        }

        @Override
        public String scheme() {
            return r.scheme();
        }

        @Override
        public int serverPort() {
            return r.serverPort();
        }

        @Override
        public String route() {
            return r.route();
        }

        @Override
        public String pool() {
            return r.pool();
        }

        @Override
        public String requestId() {
            return r.requestId();
        }


        @Override
        public boolean usePool(String name) {
            throw new UnsupportedOperationException("the response phase cannot change the pool");
        }

        @Override
        public FieldEdits upstreamFields() {
            throw new UnsupportedOperationException("the request has gone upstream");
        }

        @Override
        public void respond(int status, String contentType, byte[] body, FieldEdits fields) {
            throw new UnsupportedOperationException("the upstream has answered");
        }
    }
}
