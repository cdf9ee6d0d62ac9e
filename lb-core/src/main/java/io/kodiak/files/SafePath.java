package io.kodiak.files;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A request path below a static root as file names: the path the router normalised (dot segments
 * gone, unreserved characters decoded, slashes merged) still holds percent-encodings such as
 * {@code %2F}, {@code %5C} and {@code %00}, which are data inside a segment. Each segment is
 * decoded here, as UTF-8, and refused if the decoded name could mean anything but one entry of
 * one directory: a '/', a '\', a NUL or another control character, {@code .} or {@code ..}, or a
 * name longer than a file system takes (255 bytes; the kernel's ENAMETOOLONG is then never met).
 * Stateless and thread-safe.
 */
final class SafePath {
    /** NAME_MAX on Linux and the BSDs. */
    static final int MAX_NAME_BYTES = 255;

    private SafePath() {
    }

    /**
     * @param rest the part of the normalised path below the root ({@code "a/b.css"}, {@code "/a/"})
     * @return its file names, in order (empty for the root itself), or null if one is refused
     */
    static List<String> names(String rest) {
        List<String> names = new ArrayList<>();
        int i = 0;
        int n = rest.length();
        while (i < n) {
            int slash = rest.indexOf('/', i);
            int end = slash < 0 ? n : slash;
            if (end > i) {
                String name = decode(rest, i, end);
                if (name == null || !acceptable(name)) {
                    return null;
                }
                names.add(name);
            }
            i = end + 1;
        }
        return names;
    }

    private static boolean acceptable(String name) {
        if (name.equals(".") || name.equals("..")) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '/' || c == '\\' || c < 0x20 || c == 0x7f) {
                return false;
            }
        }
        return name.getBytes(StandardCharsets.UTF_8).length <= MAX_NAME_BYTES;
    }

    /** Percent-decodes {@code s[from, to)} as UTF-8; null if malformed or not UTF-8. */
    private static String decode(String s, int from, int to) {
        int pct = s.indexOf('%', from);
        if (pct < 0 || pct >= to) {
            for (int i = from; i < to; i++) {
                if (s.charAt(i) > 0x7f) {
                    return null; // the request line is ASCII; anything else is not a path a client encoded
                }
            }
            return s.substring(from, to);
        }
        byte[] out = new byte[to - from];
        int len = 0;
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c == '%') {
                if (i + 2 >= to) {
                    return null;
                }
                int hi = Character.digit(s.charAt(i + 1), 16);
                int lo = Character.digit(s.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    return null;
                }
                out[len++] = (byte) (hi << 4 | lo);
                i += 2;
            } else if (c > 0x7f) {
                return null; // the request line is ASCII; anything else is not a path we made
            } else {
                out[len++] = (byte) c;
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(out, 0, len)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
