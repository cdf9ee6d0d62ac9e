package io.kodiak.admin;

import io.kodiak.config.Values;
import io.kodiak.upstream.Upstream;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Set;

/**
 * An address as an operator names it in a drain by address ({@code kodiak ctl drain 10.0.0.5:8000},
 * {@code POST /v1/addresses/state}): {@code host:port}, {@code [::1]:8000} or {@code unix:/path},
 * read with the rules of an upstream's {@code address:} in the config file, and the upstreams in
 * any pool it names.
 *
 * <p>An upstream is at an address when its resolved address ({@link Upstream#addressText()}) or its
 * configured one ({@link Upstream#hostPort()}) is that address, so {@code app1:8000} names the
 * upstream listed as {@code app1:8000} and {@code 172.18.0.5:8000} names it too once it resolved
 * there. IP literals compare as addresses, not as text: {@code [::1]:8000} and
 * {@code [0:0:0:0:0:0:0:1]:8000} are one address, kept in RFC 5952's form. Names compare without
 * case (DNS does); Unix socket paths with it (file names do).
 *
 * <p>Immutable; no DNS lookup ever (a name stays a name), so it is safe on any thread.
 *
 * @param text    the normalised address: {@code 10.0.0.5:8000}, {@code [::1]:8000}, {@code app1:8000}, {@code unix:/p}
 * @param literal the IP address when the host is a literal, else {@code null}
 * @param port    the port, 0 for a Unix socket
 */
public record AddressKey(String text, InetAddress literal, int port) {
    /**
     * Reads {@code text} as an upstream address.
     *
     * @throws IllegalArgumentException saying what is wrong, e.g. {@code "10.0.0.5" is not host:port}
     */
    public static AddressKey parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("an address is host:port, [ipv6]:port or unix:/path; got nothing");
        }
        String t = text.strip();
        if (t.startsWith("unix:")) {
            String path = t.substring(5);
            if (!path.startsWith("/") || path.length() < 2 || path.indexOf('\0') >= 0 || path.length() > 107) {
                throw new IllegalArgumentException("\"" + t + "\" is not unix:/absolute/path (at most 107 characters)");
            }
            return new AddressKey(t, null, 0);
        }
        Values.HostPort hp = Values.upstreamAddress(t);
        InetAddress lit = null;
        if (hp.host().indexOf(':') >= 0 || Values.isIpv4Literal(hp.host())) {
            try {
                // A literal (checked by upstreamAddress): getByName parses it without DNS.
                lit = InetAddress.getByName(hp.host().indexOf(':') >= 0 ? "[" + hp.host() + "]" : hp.host());
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("\"" + t + "\": " + e.getMessage(), e);
            }
        }
        if (lit != null) {
            // One spelling per address (RFC 5952), the one resolved upstreams carry: [FD00:0:0:0:0:0:0:5]:8000
            // and [fd00::5]:8000 are one preset, so a ready in either spelling clears a drain in the other.
            return new AddressKey(io.kodiak.discovery.IpText.withPort(lit, hp.port()), lit, hp.port());
        }
        return new AddressKey(new Values.HostPort(hp.host().toLowerCase(Locale.ROOT), hp.port()).toString(), null, hp.port());
    }

    /** Whether {@code u} is at this address (resolved or as configured). */
    public boolean matches(Upstream u) {
        if (isUnix()) {
            return text.equals(u.hostPort()); // a file path: /tmp/A.sock is another socket than /tmp/a.sock
        }
        if (text.equalsIgnoreCase(u.hostPort()) || text.equalsIgnoreCase(u.addressText())) {
            return true;
        }
        InetSocketAddress a = u.address();
        return literal != null && a != null && !a.isUnresolved() && a.getPort() == port && literal.equals(a.getAddress());
    }

    /** Whether this is a Unix socket's path ({@code unix:/p}), which compares with its case. */
    public boolean isUnix() {
        return text.startsWith("unix:");
    }

    /**
     * The texts under which an address preset is kept, so that an upstream made later finds it by
     * its {@link Upstream#addressText()} or {@link Upstream#hostPort()}: just {@link #text()}, which
     * for an IP literal is RFC 5952's form (the one resolved upstreams carry) and for a name is lower
     * case (as {@link io.kodiak.upstream.AdminPresets#applyTo} looks a configured name up).
     */
    public Set<String> presetKeys() {
        return Set.of(text);
    }

    @Override
    public String toString() {
        return text;
    }
}
