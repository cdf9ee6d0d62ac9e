package io.kodiak.admin;

/** An admin request that cannot be served as asked; its status and message go to the client. */
final class Refused extends Exception {
    final int status;

    Refused(int status, String message) {
        super(message, null, false, false);
        this.status = status;
    }
}
