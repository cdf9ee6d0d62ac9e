package io.kodiak.config;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * Parsers for the value syntaxes that discovery added to upstream entries, shared by the YAML file
 * and quick mode: SRV names ({@code _http._tcp.app.internal}), Unix-socket addresses
 * ({@code unix:/run/gunicorn.sock}), nameservers ({@code 127.0.0.1:5353}) and Kubernetes object
 * names. Kept apart from {@link Values} so that file stays one idea (host:port and plain values).
 *
 * <p>As in {@link Values}, every parser throws {@link IllegalArgumentException} whose message is
 * only the problem; the caller prefixes the location. Nothing here does DNS. Stateless.
 */
public final class DiscoveryValues {
    /** nginx's and HAProxy's prefix for a Unix-domain socket address. */
    public static final String UNIX_PREFIX = "unix:";
    /**
     * {@code sockaddr_un.sun_path} is 108 bytes on Linux, the terminating NUL included; a longer
     * path cannot be connected to at all, so it fails at load rather than at the first request.
     */
    public static final int MAX_UNIX_PATH_BYTES = 107;
    /** The DNS port, for a nameserver given without one. */
    public static final int DNS_PORT = 53;

    /** RFC 1123 label as Kubernetes checks a namespace: lower case, digits and '-', 1-63. */
    private static final Pattern DNS1123_LABEL = Pattern.compile("[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?");
    /** RFC 1035 label as Kubernetes checks a Service name: starts with a letter. */
    private static final Pattern DNS1035_LABEL = Pattern.compile("[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?");
    /** A port name (IANA_SVC_NAME): 1-15 lower-case letters, digits and '-', a letter among them, no "--". */
    private static final Pattern PORT_NAME = Pattern.compile("(?=.*[a-z])(?!.*--)[a-z0-9](?:[-a-z0-9]{0,13}[a-z0-9])?");

    private DiscoveryValues() {
    }

    /** Whether {@code text} is a Unix-socket address ({@code unix:...}), as opposed to host:port. */
    public static boolean isUnix(String text) {
        return text.startsWith(UNIX_PREFIX);
    }

    /**
     * The path of {@code unix:/run/gunicorn.sock}: absolute, at most {@value #MAX_UNIX_PATH_BYTES}
     * bytes of UTF-8, without NUL (Linux's abstract sockets are not supported).
     */
    public static String unixPath(String text) {
        if (!isUnix(text)) {
            throw new IllegalArgumentException(Values.quote(text) + " is not unix:/PATH");
        }
        String path = text.substring(UNIX_PREFIX.length());
        if (path.isEmpty()) {
            throw new IllegalArgumentException(Values.quote(text) + " has no socket path (e.g. unix:/run/gunicorn.sock)");
        }
        if (path.startsWith("//")) {
            throw new IllegalArgumentException(Values.quote(text)
                    + " is not unix:/PATH (one slash after unix:, as nginx writes it: unix:/run/gunicorn.sock)");
        }
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException(Values.quote(text)
                    + ": the socket path must be absolute (e.g. unix:/run/gunicorn.sock)");
        }
        if (path.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(Values.quote(text) + ": the socket path must not contain NUL");
        }
        int bytes = path.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_UNIX_PATH_BYTES) {
            throw new IllegalArgumentException(Values.quote(text) + ": the socket path is " + bytes
                    + " bytes; a Unix socket's path holds at most " + MAX_UNIX_PATH_BYTES);
        }
        return path;
    }

    /**
     * The default name of a Unix-socket upstream: {@code unix:} and the socket's file name
     * ({@code unix:gunicorn.sock}), because '/' is not allowed in names (they appear in admin URLs).
     */
    public static String unixName(String path) {
        String file = path.substring(path.lastIndexOf('/') + 1);
        return Values.defaultName(UNIX_PREFIX + (file.isEmpty() ? path : file));
    }

    /**
     * An SRV name, {@code _SERVICE._PROTO.NAME} (RFC 2782), e.g. {@code _http._tcp.app.internal}:
     * the two underscore labels are what tells it from a host name, so they are required.
     */
    public static String srvName(String text) {
        String[] labels = text.split("\\.", -1);
        if (labels.length < 3 || !labels[0].startsWith("_") || !labels[1].startsWith("_")
                || labels[0].length() < 2 || labels[1].length() < 2) {
            throw new IllegalArgumentException(Values.quote(text) + " is not an SRV name (_SERVICE._PROTO.NAME,"
                    + " e.g. _http._tcp.app.internal)");
        }
        try {
            Values.hostSyntax(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(Values.quote(text) + " is not an SRV name (" + e.getMessage() + ")", e);
        }
        return text;
    }

    /** Whether {@code host} (as {@link Values.HostPort} holds it) is an IP literal, so nothing to resolve. */
    public static boolean isIpLiteral(String host) {
        return host.indexOf(':') >= 0 || Values.isIpv4Literal(host);
    }

    /**
     * A nameserver: {@code IP:PORT}, {@code [IPv6]:PORT}, or an address alone for port 53
     * ({@code 10.0.0.2}, {@code ::1}, {@code [::1]}). An IP address only: a nameserver named by a
     * name would need DNS to find DNS.
     */
    public static InetSocketAddress nameserver(String text) {
        String host;
        int port = DNS_PORT;
        if (text.startsWith("[") && text.endsWith("]")) {
            host = text.substring(1, text.length() - 1);
        } else if (text.startsWith("[") || (text.indexOf(':') >= 0 && text.indexOf(':') == text.lastIndexOf(':'))) {
            Values.HostPort hp = Values.upstreamAddress(text); // host:port or [v6]:port, port 1-65535
            host = hp.host();
            port = hp.port();
        } else {
            host = text; // an address alone; two or more colons: IPv6 without a port
        }
        if (!isIpLiteral(host)) {
            throw new IllegalArgumentException(Values.quote(text) + " is not an IP address (a nameserver named by a"
                    + " name would need DNS to find DNS)");
        }
        try {
            // Brackets make InetAddress refuse anything but an IPv6 literal: no lookup happens here.
            return new InetSocketAddress(InetAddress.getByName(host.indexOf(':') >= 0 ? "[" + host + "]" : host), port);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(Values.quote(text) + " is not an IP address", e);
        }
    }

    /** A nameserver as the configuration writes it: {@code 127.0.0.1:5353}, {@code [::1]:53}. */
    public static String format(InetSocketAddress nameserver) {
        return io.kodiak.discovery.IpText.withPort(nameserver.getAddress(), nameserver.getPort());
    }

    /** A Kubernetes Service's name (an RFC 1035 label, as the API server checks it). */
    public static String kubernetesService(String text) {
        if (!DNS1035_LABEL.matcher(text).matches()) {
            throw new IllegalArgumentException(Values.quote(text) + " is not a Service name (1-63 lower-case letters,"
                    + " digits and '-', starting with a letter)");
        }
        return text;
    }

    /** A Kubernetes namespace (an RFC 1123 label). */
    public static String kubernetesNamespace(String text) {
        if (!DNS1123_LABEL.matcher(text).matches()) {
            throw new IllegalArgumentException(Values.quote(text) + " is not a namespace (1-63 lower-case letters,"
                    + " digits and '-')");
        }
        return text;
    }

    /** A Service port: its name in the EndpointSlices ({@code http}) or its number (1-65535), as text. */
    public static String kubernetesPort(String text) {
        if (text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            if (text.length() > 5 || Integer.parseInt(text) < 1 || Integer.parseInt(text) > 65535) {
                throw new IllegalArgumentException(Values.quote(text) + " is not a port (1-65535)");
            }
            return String.valueOf(Integer.parseInt(text));
        }
        if (!PORT_NAME.matcher(text).matches()) {
            throw new IllegalArgumentException(Values.quote(text) + " is not a port name (1-15 lower-case letters,"
                    + " digits and '-', at least one letter) or number");
        }
        return text;
    }
}
