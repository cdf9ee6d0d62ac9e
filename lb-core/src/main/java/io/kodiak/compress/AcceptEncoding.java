package io.kodiak.compress;

import io.kodiak.http.HeaderFields;

import java.util.Locale;

/**
 * Content-coding negotiation on a request's {@code Accept-Encoding} (RFC 9110 §12.5.3): which of
 * the codings Kodiak offers the client prefers, if any.
 *
 * <ul>
 *   <li>Every {@code Accept-Encoding} field counts (a list may be split over several lines);
 *       names and parameters are case-insensitive.</li>
 *   <li>{@code q=0} refuses a coding; {@code *} stands for every coding not named;
 *       {@code x-gzip} is {@code gzip} (§8.4.1.3).</li>
 *   <li>A malformed weight (not {@code 0}–{@code 1} with at most three decimals) refuses its
 *       element: a client that cannot spell its wish gets the body as it is.</li>
 *   <li>Brotli wins a tie with gzip (smaller output for the same CPU at the levels Kodiak uses).</li>
 *   <li>An explicit {@code identity} with a higher weight than the best coding keeps the body as
 *       it is; an implicit identity ranks below every acceptable coding.</li>
 *   <li>No field at all means "no preference": RFC 9110 allows any coding, but clients that
 *       decompress always send the field, so Kodiak (like nginx and HAProxy) does not compress.</li>
 * </ul>
 *
 * <p>Stateless; thread-safe.
 */
public final class AcceptEncoding {
    /** A coding Kodiak can apply, with its token for {@code Content-Encoding}. */
    public enum Coding {
        BROTLI("br"), GZIP("gzip");

        public final String token;

        Coding(String token) {
            this.token = token;
        }
    }

    /** Weights in thousandths; -1 = not named. */
    private static final int UNSET = -1;
    /** Elements looked at per request: a hostile header cannot make negotiation costly. */
    private static final int MAX_ELEMENTS = 64;

    private AcceptEncoding() {
    }

    /**
     * The coding to apply, or null to send the body unencoded.
     *
     * @param brotli whether brotli may be chosen
     * @param gzip   whether gzip may be chosen
     */
    public static Coding choose(HeaderFields request, boolean brotli, boolean gzip) {
        int br = UNSET, gz = UNSET, star = UNSET, identity = UNSET;
        boolean present = false;
        int elements = 0;
        for (int i = request.indexOf("accept-encoding", 0); i >= 0 && elements < MAX_ELEMENTS;
             i = request.indexOf("accept-encoding", i + 1)) {
            present = true;
            for (String element : request.value(i).split(",", MAX_ELEMENTS + 1)) {
                if (++elements > MAX_ELEMENTS) {
                    break;
                }
                int semi = element.indexOf(';');
                String name = (semi < 0 ? element : element.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
                if (name.isEmpty()) {
                    continue;
                }
                int q = semi < 0 ? 1000 : weight(element.substring(semi + 1));
                switch (name) {
                    case "br" -> br = Math.max(br, q);
                    case "gzip", "x-gzip" -> gz = Math.max(gz, q);
                    case "*" -> star = Math.max(star, q);
                    case "identity" -> identity = Math.max(identity, q);
                    default -> { }
                }
            }
        }
        if (!present) {
            return null;
        }
        int qBr = brotli ? (br != UNSET ? br : Math.max(star, 0)) : 0;
        int qGz = gzip ? (gz != UNSET ? gz : Math.max(star, 0)) : 0;
        int best = Math.max(qBr, qGz);
        if (best <= 0 || (identity != UNSET && identity > best)) {
            return null;
        }
        return qBr >= qGz ? Coding.BROTLI : Coding.GZIP;
    }

    /**
     * The weight in thousandths from an element's parameters ({@code ;q=0.8}); 1000 when no
     * {@code q} is given; 0 when it is malformed.
     */
    static int weight(String params) {
        for (String p : params.split(";", 8)) {
            int eq = p.indexOf('=');
            if (eq < 0 || !p.substring(0, eq).trim().equalsIgnoreCase("q")) {
                continue;
            }
            return qvalue(p.substring(eq + 1).trim());
        }
        return 1000;
    }

    /** RFC 9110 §12.4.2: {@code 0[.ddd]} or {@code 1[.000]}; anything else is 0 (refused). */
    static int qvalue(String v) {
        if (v.isEmpty() || v.length() > 5 || (v.charAt(0) != '0' && v.charAt(0) != '1')) {
            return 0;
        }
        int whole = v.charAt(0) - '0';
        if (v.length() == 1) {
            return whole * 1000;
        }
        if (v.charAt(1) != '.') {
            return 0;
        }
        int frac = 0;
        for (int i = 2; i < 5; i++) {
            int d = 0;
            if (i < v.length()) {
                char c = v.charAt(i);
                if (c < '0' || c > '9') {
                    return 0;
                }
                d = c - '0';
            }
            frac = frac * 10 + d;
        }
        if (whole == 1 && frac != 0) {
            return 0;
        }
        return whole * 1000 + frac;
    }
}
