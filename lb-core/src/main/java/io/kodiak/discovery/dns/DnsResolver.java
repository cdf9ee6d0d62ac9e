package io.kodiak.discovery.dns;

import java.util.concurrent.CompletionStage;

/**
 * Asks DNS one question. {@link DnsjavaResolver} is the real one; tests give {@link DnsWatch} a fake.
 *
 * <p>Threading: {@link #query} never blocks; the stage completes on whatever thread the answer
 * arrives (dnsjava's NIO thread), and never exceptionally: every failure is a {@link DnsAnswer}
 * whose {@link DnsResult#failure()} is true. It completes within the resolver's
 * {@code timeout × attempts × nameservers}.
 */
public interface DnsResolver {
    /**
     * @param name a host or service name; with a final dot it is absolute, without one the system
     *             resolver's search list may apply (SRV targets are passed absolute)
     * @param type {@code org.xbill.DNS.Type.A}, {@code AAAA} or {@code SRV}
     */
    CompletionStage<DnsAnswer> query(String name, int type);
}
