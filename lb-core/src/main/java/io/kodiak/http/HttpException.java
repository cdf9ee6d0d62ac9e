package io.kodiak.http;

/**
 * A message that cannot be proxied. For a request it carries the status Kodiak answers with
 * (400, 413, 414, 431, 501, 505); for an upstream response the status is 502. The connection
 * it came from is always closed afterwards, because its framing can no longer be trusted.
 */
public final class HttpException extends Exception {
    private final int status;

    public HttpException(int status, String message) {
        super(message, null, false, false);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
