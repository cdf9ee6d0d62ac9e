package io.kodiak.files;

import java.util.List;
import java.util.Locale;

/**
 * Which of the encodings a static route has siblings for the client accepts, by its
 * {@code Accept-Encoding} (RFC 9110 §12.5.3): {@code q=0} refuses a coding, {@code *} stands for
 * any coding not named, and the highest q wins; equal q-values go by the route's order.
 * {@code gzip} also answers to {@code x-gzip}. Stateless and thread-safe.
 */
final class AcceptEncoding {
    private AcceptEncoding() {
    }

    /**
     * @param field     the client's Accept-Encoding (all its fields joined with ','), or null
     * @param available encodings with a sibling, in the route's order of preference
     * @return the encoding to serve, or null for the file itself
     */
    static String choose(String field, List<String> available) {
        if (field == null || available.isEmpty()) {
            return null;
        }
        String best = null;
        double bestQ = 0;
        for (String coding : available) {
            double q = quality(field, coding);
            if (q > bestQ) {
                best = coding;
                bestQ = q;
            }
        }
        return best;
    }

    /** The q-value the client gives {@code coding}; 0 if it does not accept it. */
    static double quality(String field, String coding) {
        double star = -1;
        for (String element : field.split(",")) {
            String[] parts = element.split(";");
            String name = parts[0].trim().toLowerCase(Locale.ROOT);
            if (name.isEmpty()) {
                continue;
            }
            double q = 1;
            for (int i = 1; i < parts.length; i++) {
                String p = parts[i].trim();
                if (p.length() > 2 && (p.charAt(0) == 'q' || p.charAt(0) == 'Q') && p.charAt(1) == '=') {
                    q = qvalue(p.substring(2).trim());
                }
            }
            if (name.equals(coding) || (coding.equals("gzip") && name.equals("x-gzip"))) {
                return q;
            }
            if (name.equals("*")) {
                star = q;
            }
        }
        return Math.max(star, 0);
    }

    /** {@code 0}, {@code 0.5}, {@code 1.000}; anything malformed counts as refusal. */
    private static double qvalue(String s) {
        if (s.isEmpty() || s.length() > 5 || !(s.charAt(0) == '0' || s.charAt(0) == '1')) {
            return 0;
        }
        try {
            double q = Double.parseDouble(s);
            return q >= 0 && q <= 1 ? q : 0;
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
