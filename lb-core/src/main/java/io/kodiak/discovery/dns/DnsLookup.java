package io.kodiak.discovery.dns;

import io.kodiak.discovery.Endpoint;
import io.kodiak.discovery.IpText;
import io.kodiak.discovery.Readiness;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Type;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * One resolution of a source: the questions it asks and how their answers become endpoints.
 * A/AAAA: both families asked at once, each address at the configured port. SRV: the record's
 * targets at their ports, with the addresses from the additional section when the server sent
 * them, else asked with A/AAAA; priority kept, weight mapped by {@link SrvWeights}.
 *
 * <p><b>One family failing while the other answers</b> (AAAA times out, A answers) counts as a
 * success, and the failing family keeps the addresses it had last time: neither "all is lost"
 * (the A answer is news) nor "the AAAA addresses vanished" (a timeout says nothing about them).
 * Likewise NODATA for one family and a failure for the other is a success with the failing
 * family's last addresses (NODATA when it has none). NXDOMAIN is about the name, not a family:
 * unless the other family answered records (a server contradicting itself: the records win),
 * the name is gone whatever the other query did, else a resolver that drops AAAA queries would
 * keep a deleted name for ever instead of for {@code hold-nx}. The same holds for an SRV target. Only when nothing answered (every family, every target failed) is the whole resolution
 * a failure, which {@link HoldPolicy} holds for ever.
 *
 * <p>Bounds, so that a hostile 10,000-record answer costs no more than a 512-record one: each
 * answer's addresses are cut to their first {@link #MAX_ADDRESSES} by address as soon as they
 * arrive (for SRV, to {@code MAX_ADDRESSES / targets}, at least 1, per target), before they
 * are kept as last good addresses, and a name's two families together are cut the same way; at most {@link #MAX_TARGETS} SRV targets are asked about;
 * the endpoints are cut to {@link #MAX_ADDRESSES} (lower priority value first, then by address).
 * So the memory of last good addresses holds at most 2 × {@code MAX_ADDRESSES} addresses, only of
 * the names of the last resolution. What the bounds left out is counted and reported.
 *
 * <p>Threading: {@link #resolve()} may be called on any thread, one resolution at a time; every
 * continuation runs on {@code executor} (the discovery thread), which alone touches the memory.
 */
final class DnsLookup {
    /** Per source (HAProxy's {@code server-template} has a fixed count; nginx's zone a fixed size). */
    static final int MAX_ADDRESSES = 512;
    /** SRV targets whose addresses are looked up in one resolution. */
    static final int MAX_TARGETS = 128;

    /**
     * What one resolution found.
     *
     * @param ttlSeconds the smallest TTL of the records used (OK), the negative TTL (NX/EMPTY; -1
     *                   if unknown), or -1
     * @param dropped    addresses or targets left out by the bounds
     */
    record Resolution(DnsResult result, List<Endpoint> endpoints, long ttlSeconds, String detail, int dropped) {
        Resolution {
            endpoints = List.copyOf(endpoints);
        }
    }

    /** The addresses of one name, both families together. */
    private record Addresses(DnsResult result, List<InetAddress> addresses, long ttlSeconds, String detail, int dropped) {
    }

    private final DnsResolver resolver;
    private final String host;
    private final int port;
    private final boolean srv;
    private final boolean ipv4;
    private final boolean ipv6;
    private final Executor executor;
    /** "name A" / "name AAAA" to the addresses last answered; only on the executor. */
    private Map<String, List<InetAddress>> lastGood = new HashMap<>();

    DnsLookup(DnsResolver resolver, String host, int port, boolean srv, boolean ipv4, boolean ipv6, Executor executor) {
        if (!ipv4 && !ipv6) {
            throw new IllegalArgumentException("ipv4 and ipv6 both off: nothing to ask for " + host);
        }
        this.resolver = resolver;
        this.host = host;
        this.port = port;
        this.srv = srv;
        this.ipv4 = ipv4;
        this.ipv6 = ipv6;
        this.executor = executor;
    }

    CompletionStage<Resolution> resolve() {
        Map<String, List<InetAddress>> nextGood = new HashMap<>();
        CompletionStage<Resolution> result = srv
                ? resolver.query(host, Type.SRV).thenComposeAsync(answer -> targets(answer, nextGood), executor)
                : addresses(host, nextGood, MAX_ADDRESSES).thenApply(a -> byAddress(a));
        return result.thenApply(r -> {
            if (!r.result().failure()) { // a failed round (the SRV query itself) learnt nothing: keep what was known
                lastGood = nextGood; // names no longer asked about are forgotten
            }
            return r;
        });
    }

    private Resolution byAddress(Addresses a) {
        if (a.result() != DnsResult.OK) {
            return new Resolution(a.result(), List.of(), a.ttlSeconds(), a.detail(), a.dropped());
        }
        List<Endpoint> endpoints = new ArrayList<>();
        for (InetAddress address : a.addresses()) {
            endpoints.add(new Endpoint(host, address, port, 0, 0, Readiness.READY, null, null));
        }
        return bounded(DnsResult.OK, endpoints, a.ttlSeconds(), a.detail(), a.dropped());
    }

    private CompletionStage<Resolution> targets(DnsAnswer answer, Map<String, List<InetAddress>> nextGood) {
        if (answer.result() != DnsResult.OK) {
            return CompletableFuture.completedFuture(new Resolution(answer.result(), List.of(), answer.negativeTtl(), answer.detail(), 0));
        }
        List<SRVRecord> records = new ArrayList<>();
        long ttl = Long.MAX_VALUE;
        for (Record r : answer.records()) {
            // Target "." is RFC 2782's "the service is decidedly not available at this domain";
            // port 0 cannot be connected to (a record for "no service here", or a broken zone).
            if (r instanceof SRVRecord s && !s.getTarget().equals(Name.root) && s.getPort() != 0) {
                records.add(s);
                ttl = Math.min(ttl, s.getTTL());
            }
        }
        if (records.isEmpty()) {
            return CompletableFuture.completedFuture(new Resolution(DnsResult.EMPTY, List.of(), -1,
                    "SRV " + host + " has no usable target (only \".\" or port 0)", 0));
        }
        records.sort(Comparator.comparingInt(SRVRecord::getPriority).thenComparing(SRVRecord::getTarget).thenComparingInt(SRVRecord::getPort));
        Map<Name, CompletionStage<Addresses>> byTarget = new LinkedHashMap<>();
        long distinct = records.stream().map(SRVRecord::getTarget).distinct().count();
        int dropped = (int) Math.max(0, distinct - MAX_TARGETS);
        // Each target's share, so that the last good addresses stay within 2 × MAX_ADDRESSES.
        int perTarget = (int) Math.max(1, MAX_ADDRESSES / Math.min(distinct, MAX_TARGETS));
        for (SRVRecord r : records) {
            if (!byTarget.containsKey(r.getTarget()) && byTarget.size() < MAX_TARGETS) {
                byTarget.put(r.getTarget(), fromAdditional(r.getTarget(), answer.additional(), nextGood, perTarget));
            }
        }
        CompletableFuture<?>[] all = byTarget.values().stream().map(CompletionStage::toCompletableFuture).toArray(CompletableFuture[]::new);
        long srvTtl = ttl;
        int droppedTargets = dropped;
        return CompletableFuture.allOf(all).thenApplyAsync(v -> endpoints(records, byTarget, srvTtl, droppedTargets), executor);
    }

    private Resolution endpoints(List<SRVRecord> records, Map<Name, CompletionStage<Addresses>> byTarget, long srvTtl, int dropped) {
        int[] weights = SrvWeights.map(records);
        List<Endpoint> endpoints = new ArrayList<>();
        Set<String> unique = new HashSet<>();
        long ttl = srvTtl;
        Addresses failed = null;
        boolean allFailed = true;
        for (CompletionStage<Addresses> a : byTarget.values()) {
            dropped += a.toCompletableFuture().join().dropped(); // once per target, however many records name it
        }
        for (int i = 0; i < records.size(); i++) {
            SRVRecord r = records.get(i);
            CompletionStage<Addresses> pending = byTarget.get(r.getTarget());
            if (pending == null) {
                continue; // beyond MAX_TARGETS
            }
            Addresses a = pending.toCompletableFuture().join(); // done: allOf completed
            if (a.result() == DnsResult.OK) {
                ttl = Math.min(ttl, a.ttlSeconds());
            } else if (a.result().failure()) {
                failed = a;
            }
            allFailed &= a.result().failure();
            String target = r.getTarget().toString(true);
            for (InetAddress address : a.addresses()) {
                Endpoint e = new Endpoint(target, address, r.getPort(), weights[i], r.getPriority(), Readiness.READY, null, target);
                // Records are in priority order: once MAX_ADDRESSES are found, the rest would be cut anyway.
                if (unique.size() < MAX_ADDRESSES || unique.contains(e.addressText())) {
                    unique.add(e.addressText());
                    endpoints.add(e);
                } else {
                    dropped++;
                }
            }
        }
        if (endpoints.isEmpty()) {
            // A failure only when every target failed: a target that is gone (NXDOMAIN, NODATA) is news.
            return failed != null && allFailed
                    ? new Resolution(failed.result(), List.of(), -1, failed.detail(), dropped)
                    : new Resolution(DnsResult.EMPTY, List.of(), -1, "no SRV target of " + host + " has an address", dropped);
        }
        return bounded(DnsResult.OK, endpoints, ttl, failed == null ? null : failed.detail(), dropped);
    }

    /** The target's addresses from the additional section, or asked when it has none. */
    private CompletionStage<Addresses> fromAdditional(Name target, List<Record> additional, Map<String, List<InetAddress>> nextGood,
                                                      int cap) {
        List<InetAddress> found = new ArrayList<>();
        long ttl = Long.MAX_VALUE;
        for (Record r : additional) {
            if (r.getName().equals(target) && ((ipv4 && r instanceof ARecord) || (ipv6 && r instanceof AAAARecord))) {
                found.add(literal(r));
                ttl = Math.min(ttl, r.getTTL());
            }
        }
        if (found.isEmpty()) {
            return addresses(target.toString(), nextGood, cap);
        }
        List<InetAddress> kept = firstByAddress(found, cap);
        return CompletableFuture.completedFuture(new Addresses(DnsResult.OK, kept, ttl, null, found.size() - kept.size()));
    }

    /** A and AAAA of {@code name}, asked at once. */
    private CompletionStage<Addresses> addresses(String name, Map<String, List<InetAddress>> nextGood, int cap) {
        CompletableFuture<DnsAnswer> a = ipv4 ? resolver.query(name, Type.A).toCompletableFuture() : null;
        CompletableFuture<DnsAnswer> aaaa = ipv6 ? resolver.query(name, Type.AAAA).toCompletableFuture() : null;
        CompletableFuture<Void> both = CompletableFuture.allOf(a == null ? CompletableFuture.completedFuture(null) : a,
                aaaa == null ? CompletableFuture.completedFuture(null) : aaaa);
        return both.thenApplyAsync(v -> {
            List<DnsAnswer> answers = new ArrayList<>();
            List<String> families = new ArrayList<>();
            if (a != null) {
                answers.add(a.join());
                families.add("A");
            }
            if (aaaa != null) {
                answers.add(aaaa.join());
                families.add("AAAA");
            }
            return combine(name, families, answers, nextGood, cap);
        }, executor);
    }

    /** Both families' answers for {@code name} as one, each cut to {@code cap} addresses. */
    private Addresses combine(String name, List<String> families, List<DnsAnswer> answers, Map<String, List<InetAddress>> nextGood,
                              int cap) {
        List<InetAddress> out = new ArrayList<>();
        long ttl = Long.MAX_VALUE;
        long negativeTtl = -1;
        boolean ok = false;
        int dropped = 0;
        DnsAnswer failure = null;
        DnsAnswer negative = null;
        for (int i = 0; i < answers.size(); i++) {
            DnsAnswer answer = answers.get(i);
            String key = name + " " + families.get(i);
            if (answer.result() == DnsResult.OK) {
                ok = true;
                List<InetAddress> addresses = firstByAddress(answer.records().stream().map(DnsLookup::literal).toList(), cap);
                dropped += answer.records().size() - addresses.size();
                out.addAll(addresses);
                nextGood.put(key, addresses);
                ttl = Math.min(ttl, answer.records().stream().mapToLong(Record::getTTL).min().orElse(ttl));
            } else if (answer.result().failure()) {
                failure = answer;
                List<InetAddress> held = lastGood.get(key);
                if (held != null) {
                    held = firstByAddress(held, cap); // the share per SRV target may have shrunk since
                    out.addAll(held);
                    nextGood.put(key, held);
                }
            } else {
                if (negative == null || answer.result() == DnsResult.NX) {
                    negative = answer;
                }
                if (answer.negativeTtl() >= 0) {
                    negativeTtl = negativeTtl < 0 ? answer.negativeTtl() : Math.min(negativeTtl, answer.negativeTtl());
                }
            }
        }
        String kept = failure == null ? null : failure.detail() + " (last addresses of that family kept)";
        if (ok) {
            List<InetAddress> both = firstByAddress(out, cap); // an SRV target's share is for both families
            return new Addresses(DnsResult.OK, both, ttl, kept, dropped + out.size() - both.size());
        }
        if (negative != null && negative.result() == DnsResult.NX) { // the name is gone: forget what was held
            families.forEach(f -> nextGood.remove(name + " " + f));
            return new Addresses(DnsResult.NX, List.of(), negativeTtl, negative.detail(), 0);
        }
        if (failure != null && negative != null) { // NODATA for one family, the other failed
            return out.isEmpty()
                    ? new Addresses(negative.result(), List.of(), negativeTtl, negative.detail(), 0)
                    : new Addresses(DnsResult.OK, firstByAddress(out, cap), -1, kept, 0);
        }
        if (failure != null) {
            return new Addresses(failure.result(), out, -1, failure.detail(), 0);
        }
        return new Addresses(negative.result(), List.of(), negativeTtl, negative.detail(), 0);
    }

    /** The first {@code cap} of {@code addresses} in the order {@link #bounded} keeps (by address text). */
    private static List<InetAddress> firstByAddress(List<InetAddress> addresses, int cap) {
        if (addresses.size() <= cap) {
            return addresses;
        }
        // Any fixed port sorts as addressText does: two texts part before the ':' of the port.
        return addresses.stream().sorted(Comparator.comparing((InetAddress a) -> IpText.withPort(a, 0))).limit(cap).toList();
    }

    /** Without duplicates (the first in priority order wins), at most MAX_ADDRESSES, sorted by address. */
    private static Resolution bounded(DnsResult result, List<Endpoint> endpoints, long ttl, String detail, int dropped) {
        Map<String, Endpoint> unique = new LinkedHashMap<>();
        endpoints.stream().sorted(Comparator.comparingInt(Endpoint::priority).thenComparing(Endpoint::addressText))
                .forEach(e -> unique.putIfAbsent(e.addressText(), e));
        List<Endpoint> kept = new ArrayList<>(unique.values());
        int over = Math.max(0, kept.size() - MAX_ADDRESSES);
        if (over > 0) {
            kept = new ArrayList<>(kept.subList(0, MAX_ADDRESSES));
        }
        kept.sort(Comparator.comparing(Endpoint::addressText));
        return new Resolution(result, kept, ttl, detail, dropped + over);
    }

    /** The record's address as a literal only ({@code getByAddress(bytes)}: no host name attached). */
    private static InetAddress literal(Record r) {
        InetAddress a = r instanceof ARecord ar ? ar.getAddress() : ((AAAARecord) r).getAddress();
        try {
            return InetAddress.getByAddress(a.getAddress());
        } catch (UnknownHostException e) {
            throw new IllegalStateException("a DNS record with a malformed address: " + r, e); // 4 or 16 bytes always
        }
    }

    @Override
    public String toString() {
        return (srv ? "dns srv " : "dns ") + host + (srv ? "" : ":" + port);
    }
}
