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
    static void nginx(CharSequence s, StringBuilder out) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
                out.append(c);
            } else if (c <= 0xFF) {
                hexByte(c, out);
            } else {
                int end = Character.isHighSurrogate(c) && i + 1 < s.length()
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
    static void json(CharSequence s, StringBuilder out) {
        int n = s.length();
        int plain = 0;
        while (plain < n) { // the common case: nothing to escape, appended in one copy
            char c = s.charAt(plain);
            if (c < 0x20 || c >= 0x7F || c == '"' || c == '\\') {
                break;
            }
            plain++;
        }
        out.append(s, 0, plain);
        for (int i = plain; i < n; i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c >= 0x20 && c < 0x7F) {
                        out.append(c);
                    } else {
                        out.append("\\u").append(HEX[c >> 12]).append(HEX[(c >> 8) & 0xF])
                                .append(HEX[(c >> 4) & 0xF]).append(HEX[c & 0xF]);
                    }
                }
            }
        }
    }

    private static void hexByte(int b, StringBuilder out) {
        out.append("\\x").append(HEX[b >> 4]).append(HEX[b & 0xF]);
    }
}
