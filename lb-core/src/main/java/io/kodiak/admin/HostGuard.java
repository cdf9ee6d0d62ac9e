package io.kodiak.admin;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpExchange;
import io.kodiak.config.Values;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Which {@code Host} and {@code Origin} a control listener (the admin API, {@code /metrics})
 * answers, against DNS rebinding and cross-origin requests.
 *
 * <p><b>Why.</b> A web page on {@code evil.example} can make its name resolve to 127.0.0.1 after the
 * page has loaded; the browser then sends the page's requests to the loopback listener and lets the
 * page read the answers, because to the browser it is the same origin. The request still carries
 * {@code Host: evil.example}, and that is what this refuses. A page of another origin that sends to
 * {@code 127.0.0.1} directly has the right Host but carries its {@code Origin}; that is refused too,
 * for every method, so a change cannot be forged either (the token guards changes as well).
 *
 * <p><b>Allowed hosts</b> (any port, case-insensitive): {@code localhost}, an IPv4 literal in
 * 127.0.0.0/8, {@code [::1]}; the host of the configured listen address; the address the connection
 * came in on, as a literal (for a wildcard listener reached by its IP: a rebinding page can never
 * make the browser send a literal it did not load the page from); and the names the operator listed
 * ({@code admin.allowed-hosts}, {@code metrics.allowed-hosts}). Strict on purpose: no
 * {@code *.localhost}, no trailing dot, no suffix matching. A request without {@code Host} (HTTP/1.0)
 * is served: browsers always send one, so it cannot come from a rebinding page. Any port, because an
 * SSH tunnel or a port forward reaches the listener on a port of its own.
 *
 * <p><b>Origin</b>, when a request has one, must be this listener's own origin: {@code http://} and
 * exactly the {@code Host} of the request, host <em>and</em> port (a missing port is the scheme's
 * default on both sides), or {@code https://} and that Host when a TLS proxy in front passes the
 * Host on. A page on another port of 127.0.0.1 is another origin (a proxied app, a dev server), even
 * though cookies and {@code SameSite} do not tell ports apart: it is refused. Clients that are not
 * browsers (kodiak ctl, curl, Prometheus) send no Origin and pass. {@link #fetchSite} adds the
 * browser's own verdict ({@code Sec-Fetch-Site}) for the API's routes.
 *
 * <p>Immutable and thread-safe.
 */
public final class HostGuard {
    /**
     * Why a request is not served.
     *
     * @param status 421 for a Host this listener does not serve, 403 for a foreign Origin
     * @param message one line for the client, naming the value and the fix
     */
    public record Refusal(int status, String message) {
    }

    /**
     * 421 Misdirected Request (RFC 9110 15.5.20) rather than 403: the request reached a server that
     * does not answer for that name, which is what happened, and 403 would suggest that a token or
     * another permission could make it work.
     */
    public static final int WRONG_HOST = 421;
    /** 403: the name is right, but the page that sent the request may not use this listener. */
    public static final int FOREIGN_ORIGIN = 403;

    private final String configuredHost;
    private final InetAddress configuredAddress;
    private final Set<String> allowed;
    private final String configKey;

    private HostGuard(String configuredHost, InetAddress configuredAddress, Set<String> allowed, String configKey) {
        this.configuredHost = configuredHost;
        this.configuredAddress = configuredAddress;
        this.allowed = allowed;
        this.configKey = configKey;
    }

    /**
     * @param listen       the configured listen address (its host is allowed)
     * @param allowedHosts further names, lower case, without ports
     * @param configKey    the key that lists them, for the refusal's message
     */
    public static HostGuard of(InetSocketAddress listen, List<String> allowedHosts, String configKey) {
        InetAddress a = listen.isUnresolved() ? null : listen.getAddress();
        if (a != null && a.isAnyLocalAddress()) {
            // 0.0.0.0 is no name to reach it by; the address a connection came in on stands for it.
            return new HostGuard(null, null, Set.copyOf(allowedHosts), configKey);
        }
        return new HostGuard(listen.getHostString().toLowerCase(Locale.ROOT), a, Set.copyOf(allowedHosts), configKey);
    }

    /**
     * @param host   the {@code Host} header, or {@code null}
     * @param origin the {@code Origin} header, or {@code null}
     * @param local  the address the connection was accepted on
     * @return {@code null} to serve the request, else why not
     */
    public Refusal check(String host, String origin, InetAddress local) {
        if (host != null && !allowed(hostOf(host), local)) {
            return new Refusal(WRONG_HOST, "Host " + quote(host) + " is not a name of this listener: use localhost or "
                    + "127.0.0.1 (any port), its listen address, or add the name to " + configKey);
        }
        if (origin != null && !sameOrigin(origin, host)) {
            return new Refusal(FOREIGN_ORIGIN, "Origin " + quote(origin) + " may not use this listener: only its own pages may, "
                    + (host == null ? "and this request names no Host to compare with" : "whose Origin is " + quote("http://" + host.trim()))
                    + " (same scheme, host and port)");
        }
        return null;
    }

    /**
     * This guard as a filter in front of a JDK {@code HttpServer}'s handlers ({@code /metrics}): a
     * refused request gets the status and the message as {@code text/plain}; the handler never runs.
     */
    public Filter filter() {
        return new Filter() {
            @Override
            public void doFilter(HttpExchange exchange, Chain chain) throws IOException {
                Refusal r = check(exchange.getRequestHeaders().getFirst("Host"), exchange.getRequestHeaders().getFirst("Origin"),
                        exchange.getLocalAddress().getAddress());
                if (r == null) {
                    chain.doFilter(exchange);
                    return;
                }
                byte[] body = (r.message() + "\n").getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
                exchange.getResponseHeaders().set("Cache-Control", "no-store");
                exchange.sendResponseHeaders(r.status(), body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }

            @Override
            public String description() {
                return HostGuard.this.toString();
            }
        };
    }

    /**
     * {@code Sec-Fetch-Site} on an API route: a browser says {@code cross-site} or {@code same-site}
     * when another site's page, or a page on another port of this host (the same site to a browser),
     * sent the request; both are refused (403), even for reads, since those are what a page
     * elsewhere would steal. {@code same-origin} (the status page itself), {@code none} (typed in the
     * address bar) and no header (kodiak ctl, curl, older browsers) pass.
     *
     * @return {@code null} to serve the request, else why not
     */
    public static Refusal fetchSite(String secFetchSite) {
        if (secFetchSite == null) {
            return null;
        }
        String v = secFetchSite.trim().toLowerCase(Locale.ROOT);
        if (v.equals("cross-site") || v.equals("same-site")) {
            return new Refusal(FOREIGN_ORIGIN, "Sec-Fetch-Site: " + v + ": the browser says another site's page (or a page on "
                    + "another port) sent this request; only the status page of this listener may use the API");
        }
        return null;
    }

    /**
     * Whether {@code origin} is exactly {@code host} (the Host field), same host and port, with the
     * scheme {@code http}, or {@code https} for a TLS proxy in front that passes the Host on (the
     * way to reach the page remotely). No other server can have that https origin: this listener
     * holds the port, in plain HTTP. A missing port is the scheme's default on both sides.
     */
    private static boolean sameOrigin(String origin, String host) {
        if (host == null) {
            return false; // only browsers send Origin, and browsers always send Host: nothing to compare with
        }
        URI uri;
        try {
            uri = new URI(origin.trim());
        } catch (URISyntaxException e) {
            return false;
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        int defaultPort = scheme.equals("http") ? 80 : scheme.equals("https") ? 443 : -1;
        // "null" (sandboxed frames, file: pages) parses as a path without authority: refused here, and a path is no Origin.
        if (uri.getRawAuthority() == null || defaultPort < 0 || (uri.getRawPath() != null && !uri.getRawPath().isEmpty())
                || uri.getRawQuery() != null) {
            return false;
        }
        Authority o = Authority.parse(uri.getRawAuthority(), defaultPort);
        Authority h = Authority.parse(host, defaultPort);
        return o != null && o.equals(h);
    }

    /** A Host field or an origin's authority: the host (lower case, IPv6 in brackets) and the port. */
    private record Authority(String host, int port) {
        /** {@code null} if malformed; {@code defaultPort} when it names none. */
        static Authority parse(String authority, int defaultPort) {
            String a = authority.trim().toLowerCase(Locale.ROOT);
            String host;
            String port;
            if (a.startsWith("[")) {
                int close = a.indexOf(']');
                if (close < 0) {
                    return null;
                }
                host = a.substring(0, close + 1);
                port = a.substring(close + 1);
            } else {
                int colon = a.indexOf(':');
                host = colon < 0 ? a : a.substring(0, colon);
                port = colon < 0 ? "" : a.substring(colon);
            }
            if (!port.isEmpty() && !port.matches(":[0-9]{0,5}")) {
                return null;
            }
            if (host.isEmpty() || host.indexOf('@') >= 0) {
                return null;
            }
            int p = port.length() <= 1 ? defaultPort : Integer.parseInt(port.substring(1));
            return p > 65535 ? null : new Authority(host, p);
        }
    }

    /** The host of a Host field (lower case, IPv6 in brackets, no port), or {@code null} if it is malformed. */
    private static String hostOf(String authority) {
        Authority a = Authority.parse(authority, 80);
        return a == null ? null : a.host();
    }

    private boolean allowed(String host, InetAddress local) {
        if (host == null) {
            return false;
        }
        if (host.equals("localhost") || host.equals(configuredHost) || allowed.contains(host)) {
            return true;
        }
        InetAddress literal = literal(host);
        return literal != null && (literal.isLoopbackAddress() || literal.equals(configuredAddress) || literal.equals(local));
    }

    /** An IP literal's address without DNS, or {@code null} for a name. */
    private static InetAddress literal(String host) {
        boolean v6 = host.startsWith("[") && host.endsWith("]");
        if (!v6 && !Values.isIpv4Literal(host)) {
            return null;
        }
        try {
            return InetAddress.getByName(host); // a strict dotted quad or a bracketed v6 literal: no lookup
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private static String quote(String s) {
        String shown = s.length() > 100 ? s.substring(0, 100) + "..." : s;
        return "\"" + shown.replaceAll("[^\\x20-\\x7e]", "?") + "\"";
    }

    @Override
    public String toString() {
        return "HostGuard[" + configuredHost + ", " + allowed + "]";
    }
}
