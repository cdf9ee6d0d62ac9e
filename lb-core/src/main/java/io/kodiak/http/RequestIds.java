package io.kodiak.http;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Request IDs: 32 lower-case hex digits (128 random bits, as nginx's {@code $request_id}), unique
 * across Kodiak instances without coordination; and the check a client's ID must pass to be kept.
 *
 * <p>Threading: any thread; nothing shared but the thread-local random source.
 */
public final class RequestIds {
    private static final char[] HEX = "0123456789abcdef".toCharArray();
    /** Longest ID kept from a client: enough for a UUID or a trace ID, not for a payload. */
    static final int MAX_CLIENT_ID = 200;

    private RequestIds() {
    }

    public static String generate() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        char[] out = new char[32];
        fill(out, 0, r.nextLong());
        fill(out, 16, r.nextLong());
        return new String(out);
    }

    private static void fill(char[] out, int at, long v) {
        for (int i = 15; i >= 0; i--) {
            out[at + i] = HEX[(int) (v & 0xf)];
            v >>>= 4;
        }
    }

    /**
     * The client's ID if it is one to keep: 1 to 200 characters of letters, digits and
     * {@code - _ . : / + = @}; anything else (spaces, quotes, a list, a log-injection attempt)
     * is replaced by a generated one.
     *
     * @return the ID, or {@code null} if there is none or it does not pass
     */
    public static String fromClient(RequestHead r, String lowerName) {
        HeaderFields f = r.fields;
        int i = f.indexOf(lowerName, 0);
        if (i < 0 || f.indexOf(lowerName, i + 1) >= 0) {
            return null; // none, or two: which one would the app believe?
        }
        String v = f.value(i).trim();
        if (v.isEmpty() || v.length() > MAX_CLIENT_ID) {
            return null;
        }
        for (int k = 0; k < v.length(); k++) {
            char c = v.charAt(k);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "-_.:/+=@".indexOf(c) >= 0;
            if (!ok) {
                return null;
            }
        }
        return v;
    }
}
