package io.kodiak.discovery.dns;

import org.xbill.DNS.Record;

import java.util.List;

/**
 * One query's outcome, already classified, so that the watch never looks at rcodes or exceptions.
 *
 * @param result      how it ended
 * @param records     the answer section's records of the type asked (CNAMEs on the way left out);
 *                    empty unless {@link DnsResult#OK}
 * @param additional  the additional section (an SRV answer's target addresses, when the server sends them)
 * @param negativeTtl for NX/EMPTY, the negative-caching TTL from the SOA in the authority section
 *                    (RFC 2308: the smaller of the SOA's TTL and its minimum), in seconds; -1 if none
 * @param detail      for an operator: what went wrong ({@code "timeout after 2 attempts of 2s at 127.0.0.1:53"}),
 *                    or {@code null} when {@link DnsResult#OK}
 */
public record DnsAnswer(DnsResult result, List<Record> records, List<Record> additional, long negativeTtl, String detail) {
    public DnsAnswer {
        records = List.copyOf(records);
        additional = List.copyOf(additional);
    }

    /** A successful answer with {@code records} and no additional section. */
    public static DnsAnswer ok(List<Record> records) {
        return new DnsAnswer(DnsResult.OK, records, List.of(), -1, null);
    }

    /** An answer without records: negative or failed. */
    public static DnsAnswer of(DnsResult result, String detail) {
        return new DnsAnswer(result, List.of(), List.of(), -1, detail);
    }
}
