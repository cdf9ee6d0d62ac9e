package io.kodiak.filter;

import io.kodiak.http.FieldEdits;
import io.kodiak.http.RequestHead;
import io.kodiak.http.ResponseHead;

/** One response as a {@link ResponseFilter} sees it. Valid only during the call. */
public interface ResponseContext {
    /** The request it answers. */
    RequestHead request();

    /** The upstream's head; read-only. */
    ResponseHead head();

    /** Whether a body follows (not for HEAD, 204, 304). Only then may a transform be returned. */
    boolean hasBody();

    /** Changes to the fields sent to the client. */
    FieldEdits clientFields();
}
