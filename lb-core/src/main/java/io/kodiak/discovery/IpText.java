package io.kodiak.discovery;

import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * An address as people and peers write it: RFC 5952's short IPv6 form ({@code fd00::5}, not the
 * JDK's {@code fd00:0:0:0:0:0:0:5}), so that upstream names, {@code $upstream_addr} and the admin API
 * show what nginx and HAProxy show, and one address always has one spelling.
 */
public final class IpText {
    private IpText() {
    }

    /** {@code 10.0.0.5} or {@code fd00::5} (no brackets, no scope). */
    public static String of(InetAddress a) {
        if (!(a instanceof Inet6Address)) {
            return a.getHostAddress();
        }
        byte[] b = a.getAddress();
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) {
            g[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        }
        // The longest run of two or more zero groups becomes "::" (the first such run on a tie).
        int bestStart = -1;
        int bestLen = 1;
        for (int i = 0; i < 8; ) {
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        StringBuilder sb = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(g[i]));
        }
        return sb.toString();
    }

    /** {@code 10.0.0.5:8000} or {@code [fd00::5]:8000}. */
    public static String withPort(InetAddress a, int port) {
        String t = of(a);
        return a instanceof Inet6Address ? "[" + t + "]:" + port : t + ":" + port;
    }
}
