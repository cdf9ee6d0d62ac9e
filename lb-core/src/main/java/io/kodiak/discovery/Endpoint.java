package io.kodiak.discovery;

import java.net.InetAddress;

/**
 * One address a source found.
 *
 * @param host      the name it was found by (the A/AAAA name, the SRV target, the Service), for TLS
 *                  and {@code Host} rewriting
 * @param address   the address, made with {@link InetAddress#getByAddress(byte[])} (no host name), so
 *                  that {@code getHostString()} is the literal
 * @param port      the port
 * @param weight    the source's weight in Kodiak's scale 1..1000 (SRV weights mapped), or 0 when the
 *                  source gives none (A/AAAA, Kubernetes): the entry's weight applies
 * @param priority  the SRV priority (lower is preferred; higher ones are backups), 0 otherwise
 * @param readiness whether it takes requests
 * @param zone      the Kubernetes zone (or the first zone hint), or {@code null}
 * @param label     what an operator knows it by: the pod name, the SRV target; or {@code null}
 */
public record Endpoint(String host, InetAddress address, int port, int weight, int priority, Readiness readiness,
                       String zone, String label) {
    public Endpoint {
        java.util.Objects.requireNonNull(address, "address");
        java.util.Objects.requireNonNull(readiness, "readiness");
    }

    /** {@code 10.0.0.5:8000}, {@code [fd00::5]:8000}: the part of an upstream's name in brackets. */
    public String addressText() {
        return IpText.withPort(address, port);
    }
}
