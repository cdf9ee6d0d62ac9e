package io.kodiak.config;

import io.kodiak.health.HttpCheck;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Parsers for the value syntaxes shared by the YAML file and quick mode: durations, sizes,
 * {@code host:port} addresses, strategy names and header field values.
 *
 * <p>Every parser throws {@link IllegalArgumentException} whose message is only the problem, e.g.
 * {@code "10" has no unit (units are required: ms, s, m, h)}; the caller prefixes the location
 * (file, line and key path, or the command-line flag). Nothing here does DNS except
 * {@link #listenAddress}, which must resolve to bind.
 */
public final class Values {
    /** Host names: dot-separated labels of letters, digits, '-' and '_' (Docker service names use '_'). */
    private static final Pattern HOST_NAME =
            Pattern.compile("[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}))*\\.?");
    private static final Pattern DURATION = Pattern.compile("(-?[0-9]+)(ms|s|m|h)");
    private static final Pattern SIZE = Pattern.compile("(-?[0-9]+)(k|K|KB|KiB|m|M|MB|MiB|g|G|GB|GiB)?");
    private static final Pattern DIGITS = Pattern.compile("-?[0-9]+");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._:\\[\\]-]{1,100}");
    private static final Pattern STATUS_RANGE = Pattern.compile("([1-5][0-9][0-9])(?:-([1-5][0-9][0-9]))?");
    private static final String HOST_PORT_FORMS = "host:port, [ipv6]:port";

    private Values() {
    }

    /**
     * A duration with a unit: {@code 500ms}, {@code 10s}, {@code 2m}, {@code 1h}. Units are required
     * because a bare number is ambiguous (nginx reads seconds, HAProxy milliseconds). Must be > 0.
     */
    public static Duration duration(String text) {
        Matcher m = DURATION.matcher(text);
        if (!m.matches()) {
            if (DIGITS.matcher(text).matches()) {
                throw new IllegalArgumentException(quote(text) + " has no unit (units are required: ms, s, m, h)");
            }
            throw new IllegalArgumentException(quote(text) + " is not a duration (use e.g. 500ms, 10s, 2m, 1h)");
        }
        long amount;
        try {
            amount = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(quote(text) + " is too large");
        }
        if (amount <= 0) {
            throw new IllegalArgumentException(quote(text) + " must be greater than 0");
        }
        try {
            return switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(amount);
                case "s" -> Duration.ofSeconds(amount);
                case "m" -> Duration.ofMinutes(amount);
                default -> Duration.ofHours(amount);
            };
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(quote(text) + " is too large");
        }
    }

    /** A duration as the configuration writes it: {@code 1500ms}, {@code 2s}, {@code 5m}, {@code 1h}. */
    public static String format(Duration d) {
        long ms = d.toMillis();
        if (ms % 1000 != 0 || ms == 0) {
            return ms + "ms";
        }
        long s = ms / 1000;
        if (s % 3600 == 0) {
            return s / 3600 + "h";
        }
        return s % 60 == 0 ? s / 60 + "m" : s + "s";
    }

    /** A whole percentage with its sign, {@code 10%}, between 0 and {@code max}. */
    public static int percent(String text, int max) {
        if (!text.matches("[0-9]{1,9}%")) {
            throw new IllegalArgumentException(quote(text) + " is not a percentage (e.g. 10%)");
        }
        int v = Integer.parseInt(text.substring(0, text.length() - 1));
        if (v > max) {
            throw new IllegalArgumentException(quote(text) + " must be at most " + max + "%");
        }
        return v;
    }

    /**
     * HTTP statuses that pass a check: one status or a range, {@code 200} or {@code 200-399}.
     */
    public static HttpCheck.StatusRange statusRange(String text) {
        Matcher m = STATUS_RANGE.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException(quote(text) + " is not a status or a range of statuses (e.g. 200 or 200-399)");
        }
        int from = Integer.parseInt(m.group(1));
        int to = m.group(2) == null ? from : Integer.parseInt(m.group(2));
        if (to < from) {
            throw new IllegalArgumentException(quote(text) + ": the range runs from low to high");
        }
        return new HttpCheck.StatusRange(from, to);
    }

    /**
     * A size in bytes: a plain integer, or an integer with a binary unit. {@code KiB}, {@code k},
     * {@code K} and {@code KB} all mean 1024 (as in nginx), likewise for M and G. Must be between
     * 1 and {@code max}.
     */
    public static long size(String text, long max) {
        Matcher m = SIZE.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException(quote(text)
                    + " is not a size (use bytes or a unit: 512, 64KiB, 100MiB, 1GiB; k, M, GB also work)");
        }
        long amount;
        try {
            amount = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(quote(text) + " is too large (at most " + max + " bytes)");
        }
        if (amount < 0) {
            throw new IllegalArgumentException(quote(text) + " must not be negative");
        }
        if (amount == 0) {
            throw new IllegalArgumentException(quote(text) + " must be greater than 0");
        }
        long unit = m.group(2) == null ? 1 : switch (m.group(2).charAt(0)) {
            case 'k', 'K' -> 1024L;
            case 'm', 'M' -> 1024L * 1024;
            default -> 1024L * 1024 * 1024;
        };
        if (amount > max / unit) {
            throw new IllegalArgumentException(quote(text) + " is too large (at most " + max + " bytes)");
        }
        return amount * unit;
    }

    /**
     * An upstream address: {@code host:port} or {@code [ipv6]:port}, port 1..65535. The host is
     * checked for syntax only here; it is resolved once, when the upstream is created (see
     * {@link UpstreamConfig#unresolvable()}).
     */
    public static HostPort upstreamAddress(String text) {
        HostPort hp = hostPort(text, false, 1);
        checkHost(text, hp.host());
        return hp;
    }

    /**
     * A listen address: {@code host:port}, {@code [ipv6]:port} or {@code :port} (all IPv4
     * interfaces), port 0..65535 (0 binds an ephemeral port). A host name is resolved now, because
     * a bind needs an address; an unresolvable one is an error.
     */
    public static InetSocketAddress listenAddress(String text) {
        HostPort hp = hostPort(text, true, 0);
        if (hp.host().isEmpty()) {
            return new InetSocketAddress(literal("0.0.0.0", text), hp.port());
        }
        if (hp.host().indexOf(':') >= 0 || isIpv4Literal(hp.host())) {
            return new InetSocketAddress(literal(hp.host(), text), hp.port());
        }
        checkHost(text, hp.host());
        InetSocketAddress resolved = new InetSocketAddress(hp.host(), hp.port());
        if (resolved.isUnresolved()) {
            throw new IllegalArgumentException(quote(text) + ": cannot resolve host " + quote(hp.host()));
        }
        return resolved;
    }

    /** {@code client-ip}, {@code header:NAME} or {@code cookie:NAME}, with the default balance factor. */
    public static HashConfig hashKey(String text) {
        if (text.equals("client-ip")) {
            return new HashConfig(HashConfig.Source.CLIENT_IP, null, HashConfig.DEFAULTS.balanceFactor());
        }
        int colon = text.indexOf(':');
        String kind = colon < 0 ? text : text.substring(0, colon);
        String name = colon < 0 ? "" : text.substring(colon + 1);
        HashConfig.Source source = switch (kind) {
            case "header" -> HashConfig.Source.HEADER;
            case "cookie" -> HashConfig.Source.COOKIE;
            default -> throw new IllegalArgumentException(quote(text) + " is not a hash key (valid: client-ip, header:NAME, cookie:NAME)");
        };
        if (name.isEmpty() || !name.chars().allMatch(c -> c > 0x20 && c < 0x7f && "()<>@,;:\\\"/[]?={}".indexOf(c) < 0)) {
            throw new IllegalArgumentException(quote(text) + ": " + kind + " name must be a token (letters, digits, -_.!#$%&'*+^`|~)");
        }
        return new HashConfig(source, source == HashConfig.Source.HEADER ? name.toLowerCase(java.util.Locale.ROOT) : name,
                HashConfig.DEFAULTS.balanceFactor());
    }

    /** HAProxy's {@code hash-balance-factor}: 0 (no bound) or a percentage of at least 100. */
    public static int balanceFactor(String text) {
        int v;
        try {
            v = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(quote(text) + " is not an integer percentage");
        }
        if (v != 0 && (v < 100 || v > 10_000)) {
            throw new IllegalArgumentException(quote(text) + " must be 0 (no bound) or 100-10000 (percent of the average load)");
        }
        return v;
    }

    /** {@code choice-count}: {@code all}, or how many random upstreams to compare, 2 to 1000. */
    public static int choiceCount(String text) {
        if (text.equals("all")) {
            return PoolConfig.ALL_CHOICES;
        }
        int v;
        try {
            v = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(quote(text) + " is not an integer or \"all\"");
        }
        if (v < 2 || v > 1000) {
            throw new IllegalArgumentException(quote(text) + " must be 2-1000 (2 is the power of two choices) or all");
        }
        return v;
    }

    /** The strategy with this configuration name; the error lists the valid names. */
    public static PoolConfig.Strategy strategy(String text) {
        PoolConfig.Strategy s = PoolConfig.Strategy.byConfigName(text);
        if (s == null) {
            String valid = Arrays.stream(PoolConfig.Strategy.values())
                    .map(PoolConfig.Strategy::configName).collect(Collectors.joining(", "));
            throw new IllegalArgumentException(quote(text) + " is not a strategy (valid: " + valid + ")");
        }
        return s;
    }

    /**
     * Checks a listener, pool or upstream name. Names appear in logs, metric labels and admin URLs,
     * so they are limited to characters that need no quoting there (':' and brackets are allowed
     * because names default to addresses).
     */
    public static String name(String text) {
        if (!NAME.matcher(text).matches()) {
            throw new IllegalArgumentException(quote(text)
                    + " is not a valid name (use 1-100 letters, digits and . _ - : [ ])");
        }
        return text;
    }

    /**
     * Checks an address used as a name because none was given; the message says to give one.
     */
    public static String defaultName(String address) {
        if (!NAME.matcher(address).matches()) {
            throw new IllegalArgumentException(quote(address)
                    + " cannot serve as the default name (use 1-100 letters, digits and . _ - : [ ]); set name:");
        }
        return address;
    }

    /**
     * Checks that {@code text} can be sent as a header field value: visible ASCII, spaces and tabs,
     * no leading or trailing whitespace. CR and LF in particular would let a config value inject
     * header fields.
     */
    public static String fieldValue(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if ((c < 0x20 && c != '\t') || c > 0x7e) {
                throw new IllegalArgumentException(quote(text)
                        + " is not a valid header value (only printable ASCII characters are allowed)");
            }
        }
        if (!text.equals(text.strip())) {
            throw new IllegalArgumentException(quote(text) + " has leading or trailing whitespace");
        }
        return text;
    }

    /** {@code text} in double quotes with quotes and control characters escaped, for messages. */
    public static String quote(String text) {
        StringBuilder sb = new StringBuilder(text.length() + 2).append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20 || c == 0x7f) {
                sb.append(String.format(Locale.ROOT, "\\x%02x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append('"').toString();
    }

    /**
     * Splits {@code host:port}; {@code [v6]:port} loses its brackets. An IPv6 literal without
     * brackets is refused because its last group could be read as the port.
     */
    private static HostPort hostPort(String text, boolean hostOptional, int minPort) {
        String forms = hostOptional ? HOST_PORT_FORMS + ", :port" : HOST_PORT_FORMS;
        String host;
        String port;
        if (text.contains("://")) {
            throw new IllegalArgumentException(quote(text) + " is not host:port (leave out the scheme)");
        }
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0 || close + 1 >= text.length() || text.charAt(close + 1) != ':') {
                throw new IllegalArgumentException(quote(text) + " is not host:port (use " + forms + ")");
            }
            host = text.substring(1, close);
            port = text.substring(close + 2);
            if (host.indexOf(':') < 0) {
                throw new IllegalArgumentException(quote(text) + " is not host:port (brackets are for IPv6 only)");
            }
        } else {
            int colon = text.lastIndexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException(quote(text) + " is not host:port (the port is missing)");
            }
            host = text.substring(0, colon);
            port = text.substring(colon + 1);
            if (host.indexOf(':') >= 0) {
                throw new IllegalArgumentException(quote(text)
                        + " is not host:port (write IPv6 addresses in brackets: [::1]:8080)");
            }
        }
        if (host.isEmpty() && !hostOptional) {
            throw new IllegalArgumentException(quote(text) + " is not host:port (the host is missing)");
        }
        int p = -1;
        if (!port.isEmpty() && port.length() <= 5 && port.chars().allMatch(c -> c >= '0' && c <= '9')) {
            p = Integer.parseInt(port);
        }
        if (p < minPort || p > 65535) {
            throw new IllegalArgumentException(quote(text) + " is not host:port (port must be " + minPort + "-65535)");
        }
        if (host.indexOf(':') >= 0) {
            literal(host, text); // validates the IPv6 literal
        }
        return new HostPort(host, p);
    }

    private static void checkHost(String text, String host) {
        if (host.indexOf(':') >= 0) {
            return; // an IPv6 literal, already validated
        }
        try {
            hostSyntax(host);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(quote(text) + " is not host:port (" + e.getMessage() + ")", e);
        }
    }

    /**
     * An entry of {@code allowed-hosts}: a host name or IPv4 address as a {@code Host} header names
     * it, without a port (every port is allowed), in lower case.
     */
    static String allowedHost(String text) {
        if (text.indexOf(':') >= 0 || text.indexOf('*') >= 0 || text.indexOf('/') >= 0) {
            throw new IllegalArgumentException(quote(text) + " is not a host name: give the name alone, without port,"
                    + " scheme or wildcard (any port is allowed)");
        }
        return hostSyntax(text).toLowerCase(Locale.ROOT);
    }

    /**
     * Checks the syntax of a host name or IPv4 literal (no DNS). All-numeric names must be valid
     * dotted quads, so a typo like {@code 10.0.0.256} is not sent to DNS as a name.
     */
    static String hostSyntax(String host) {
        if (host.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9'))) {
            if (!isIpv4Literal(host)) {
                throw new IllegalArgumentException(quote(host) + " is not a valid IPv4 address");
            }
        } else if (!HOST_NAME.matcher(host).matches() || host.length() > 253) {
            throw new IllegalArgumentException(quote(host) + " is not a valid host name");
        }
        return host;
    }

    /** Strict dotted quad; {@link InetAddress} would also take "127.1" and look up anything else. */
    public static boolean isIpv4Literal(String host) {
        String[] parts = host.split("\\.", -1);
        if (parts.length != 4) {
            return false;
        }
        for (String part : parts) {
            if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(c -> c >= '0' && c <= '9')
                    || Integer.parseInt(part) > 255) {
                return false;
            }
        }
        return true;
    }

    /** Parses an IP literal without DNS: brackets make {@link InetAddress} refuse non-literals. */
    private static InetAddress literal(String host, String text) {
        try {
            return InetAddress.getByName(host.indexOf(':') >= 0 ? "[" + host + "]" : host);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(quote(text) + " is not host:port (" + quote(host)
                    + " is not a valid IP address)", e);
        }
    }

    /**
     * A host and port as written, IPv6 without brackets.
     *
     * @param host host name or IP literal; empty for "all interfaces" in a listen address
     * @param port the port
     */
    public record HostPort(String host, int port) {
        /** {@code host:port}, with brackets around an IPv6 host. */
        @Override
        public String toString() {
            return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
        }
    }
}
