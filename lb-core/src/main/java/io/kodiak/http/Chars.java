package io.kodiak.http;

/** Byte classes from RFC 9110 §5.6 and RFC 9112, as lookup tables. */
public final class Chars {
    private static final boolean[] TCHAR = new boolean[256];
    private static final boolean[] FIELD_VALUE = new boolean[256];
    private static final boolean[] TARGET = new boolean[256];
    private static final boolean[] HOST = new boolean[256];

    static {
        for (int c = '0'; c <= '9'; c++) {
            TCHAR[c] = true;
        }
        for (int c = 'a'; c <= 'z'; c++) {
            TCHAR[c] = true;
            TCHAR[c - 32] = true;
        }
        for (char c : "!#$%&'*+-.^_`|~".toCharArray()) {
            TCHAR[c] = true;
        }
        // field-value = *( field-vchar / SP / HTAB ), field-vchar = VCHAR / obs-text
        FIELD_VALUE[' '] = true;
        FIELD_VALUE['\t'] = true;
        for (int c = 0x21; c <= 0x7e; c++) {
            FIELD_VALUE[c] = true;
        }
        for (int c = 0x80; c <= 0xff; c++) {
            FIELD_VALUE[c] = true;
        }
        // request-target: visible ASCII only; anything else (SP, CTL, DEL, 8-bit) is rejected.
        // '#' too: a fragment is never part of a request-target (RFC 9112 §3.2), and a proxy that
        // routes on the path before '#' while the upstream reads past it is an ACL bypass
        // (HAProxy CVE-2023-45539).
        for (int c = 0x21; c <= 0x7e; c++) {
            TARGET[c] = c != '#';
        }
        // uri-host = IP-literal / IPv4address / reg-name, plus ":" port
        for (int c = 0; c < 256; c++) {
            HOST[c] = TCHAR[c] && c != '`' && c != '^' && c != '|' && c != '#';
        }
        for (char c : "[]:()!$&',;=%".toCharArray()) {
            HOST[c] = true;
        }
    }

    private Chars() {
    }

    static boolean isTchar(byte b) {
        return TCHAR[b & 0xff];
    }

    static boolean isFieldValue(byte b) {
        return FIELD_VALUE[b & 0xff];
    }

    static boolean isTarget(byte b) {
        return TARGET[b & 0xff];
    }

    static boolean isHost(byte b) {
        return HOST[b & 0xff];
    }

    /** The value of hex digit {@code b} (either case), or -1: the one place Kodiak reads one. */
    public static int hexValue(byte b) {
        if (b >= '0' && b <= '9') {
            return b - '0';
        }
        if (b >= 'a' && b <= 'f') {
            return b - 'a' + 10;
        }
        if (b >= 'A' && b <= 'F') {
            return b - 'A' + 10;
        }
        return -1;
    }

    /** ASCII case-insensitive comparison of {@code b[from..to)} with a lower-case literal. */
    static boolean equalsLower(byte[] b, int from, int to, String lower) {
        int n = to - from;
        if (n != lower.length()) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            int c = b[from + i];
            if (c >= 'A' && c <= 'Z') {
                c += 32;
            }
            if (c != lower.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
