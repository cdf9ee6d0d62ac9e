package io.kodiak.http;

/**
 * The values of the two framing fields, Content-Length and Transfer-Encoding (RFC 9112 §6). They
 * decide where a message ends, so they are read more strictly than any other field: whatever a
 * peer could read as a different length is an error with the caller's status.
 */
final class FramingFields {
    private FramingFields() {
    }

    /**
     * @return the Content-Length, or -1 if absent; identical repeated values (as lists or as
     *         separate fields) are accepted as one, as RFC 9112 §6.3 allows
     */
    static long contentLength(HeaderFields f, int status) throws HttpException {
        long value = -1;
        byte[] b = f.bytes();
        for (int i = f.indexOf("content-length", 0); i >= 0; i = f.indexOf("content-length", i + 1)) {
            int p = f.valueStart(i);
            int end = f.valueEnd(i);
            do {
                while (p < end && (b[p] == ' ' || b[p] == '\t')) {
                    p++;
                }
                long v = 0;
                int digits = 0;
                while (p < end && digit(b[p])) {
                    if (++digits > 18) {
                        throw new HttpException(status, "Content-Length too large");
                    }
                    v = v * 10 + (b[p++] - '0');
                }
                while (p < end && (b[p] == ' ' || b[p] == '\t')) {
                    p++;
                }
                if (digits == 0 || (p < end && b[p] != ',')) {
                    throw new HttpException(status, "invalid Content-Length");
                }
                if (value >= 0 && v != value) {
                    throw new HttpException(status, "conflicting Content-Length values");
                }
                value = v;
            } while (p++ < end);
        }
        return value;
    }

    /**
     * Transfer-Encoding must be exactly {@code chunked}: one coding, once. A list that does not
     * end in chunked, or applies chunked twice (RFC 9112 §6.1), has no trustworthy framing (400);
     * other codings before a final chunked are well formed but not supported (501).
     */
    static void checkChunkedOnly(HeaderFields f, int status) throws HttpException {
        int tokens = 0;
        int chunked = 0;
        boolean lastChunked = false;
        byte[] b = f.bytes();
        for (int i = f.indexOf("transfer-encoding", 0); i >= 0; i = f.indexOf("transfer-encoding", i + 1)) {
            int p = f.valueStart(i);
            int end = f.valueEnd(i);
            while (p <= end) {
                int s = p;
                while (p < end && b[p] != ',') {
                    p++;
                }
                int te = p;
                int ts = s;
                while (ts < te && (b[ts] == ' ' || b[ts] == '\t')) {
                    ts++;
                }
                while (te > ts && (b[te - 1] == ' ' || b[te - 1] == '\t')) {
                    te--;
                }
                if (te > ts) {
                    tokens++;
                    lastChunked = Chars.equalsLower(b, ts, te, "chunked");
                    if (lastChunked) {
                        chunked++;
                    }
                }
                p++;
            }
        }
        if (!lastChunked) {
            throw new HttpException(status, "Transfer-Encoding does not end in chunked");
        }
        if (chunked > 1) {
            throw new HttpException(status, "chunked applied more than once");
        }
        if (tokens != 1) {
            throw new HttpException(status == 400 ? 501 : status, "unsupported transfer coding");
        }
    }

    private static boolean digit(byte c) {
        return c >= '0' && c <= '9';
    }
}
