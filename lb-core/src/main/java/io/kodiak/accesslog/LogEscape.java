package io.kodiak.accesslog;

import java.nio.charset.StandardCharsets;

/**
 * The two escapings the formats use, so that a value a client controls can never end a line or a
 * quoted field early (log injection).
 *
 * <p>Stateless; any thread.
 */
final class LogEscape {
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private LogEscape() {
    }

    /**
     * nginx's default {@code log_format} escaping: {@code "}, {@code \}, control bytes (below 0x20
     * and 0x7F) and bytes above 0x7F become {@code \xHH}. A char up to U+00FF stands for the byte
     * of the same value (the data path decodes header bytes as ISO-8859-1, so this reproduces
     * nginx byte for byte); a char above it is escaped as the bytes of its UTF-8 encoding.
     */
    static void nginx(CharSequence s, LogLine out) {
        int n = s.length();
        for (int i = out.plainAscii(s, 0); i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
                out.ascii(c);
            } else if (c <= 0xFF) {
                hexByte(c, out);
            } else {
                int end = Character.isHighSurrogate(c) && i + 1 < n
                        && Character.isLowSurrogate(s.charAt(i + 1)) ? i + 2 : i + 1;
                // A lone surrogate encodes as '?': it cannot come from decoded bytes anyway.
                for (byte b : s.subSequence(i, end).toString().getBytes(StandardCharsets.UTF_8)) {
                    hexByte(b & 0xFF, out);
                }
                i = end - 1;
            }
        }
    }

    /**
     * A JSON string's content (RFC 8259), ASCII only: {@code "} and {@code \} backslashed, control
     * chars as {@code \n}, {@code \r}, {@code \t} or {@code \}{@code u00HH}, and every char from
     * 0x7F up as {@code \}{@code uHHHH}. ASCII output cannot be mis-decoded and survives a lone
     * surrogate, which as UTF-8 would not be valid.
     */
    static void json(CharSequence s, LogLine out) {
        int n = s.length();
        for (int i = out.plainAscii(s, 0); i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
                out.ascii(c);
                continue;
            }
            switch (c) {
                case '"' -> out.ascii('\\').ascii('"');
                case '\\' -> out.ascii('\\').ascii('\\');
                case '\n' -> out.ascii('\\').ascii('n');
                case '\r' -> out.ascii('\\').ascii('r');
                case '\t' -> out.ascii('\\').ascii('t');
                default -> out.ascii('\\').ascii('u').ascii(HEX[c >> 12]).ascii(HEX[(c >> 8) & 0xF])
                        .ascii(HEX[(c >> 4) & 0xF]).ascii(HEX[c & 0xF]);
            }
        }
    }

    private static void hexByte(int b, LogLine out) {
        out.ascii('\\').ascii('x').ascii(HEX[b >> 4]).ascii(HEX[b & 0xF]);
    }
}
