package io.kodiak.discovery.dns;

import java.util.Locale;

/**
 * How one DNS query (or one whole resolution of a source) ended, as the counters
 * {@code kodiak_discovery_resolutions_total{result}} name it.
 *
 * <p>Two kinds of "no address" are kept apart on purpose (HAProxy's {@code hold nx} versus
 * {@code hold other/refused/timeout}): a {@link #negative()} answer is the DNS saying the name has
 * nothing, so after {@code hold-nx} the set is emptied; a {@link #failure()} says nothing about the
 * name, so the last good set is kept for ever.
 */
public enum DnsResult {
    /** NOERROR with at least one record of the type asked. */
    OK,
    /** NXDOMAIN: the name does not exist. */
    NX,
    /** NOERROR without a record of the type asked (NODATA). */
    EMPTY,
    /** No answer from any nameserver within {@code timeout}, {@code attempts} times. */
    TIMEOUT,
    /** SERVFAIL from every nameserver. */
    SERVFAIL,
    /** REFUSED from every nameserver (dnsmasq with {@code --no-resolv} answers it for names it does not hold). */
    REFUSED,
    /** Anything else: a network error, another rcode, an answer still truncated over TCP. */
    ERROR;

    /** The counter's label: {@code ok}, {@code nx}, {@code empty}, {@code timeout}, ... */
    public String counter() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Says nothing about the name: hold the last good set for ever. */
    public boolean failure() {
        return this == TIMEOUT || this == SERVFAIL || this == REFUSED || this == ERROR;
    }

    /** The name has no address (NXDOMAIN or NODATA): hold the last good set for {@code hold-nx}. */
    public boolean negative() {
        return this == NX || this == EMPTY;
    }
}
