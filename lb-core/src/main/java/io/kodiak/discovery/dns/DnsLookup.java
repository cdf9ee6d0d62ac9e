package io.kodiak.discovery.dns;

import io.kodiak.discovery.Endpoint;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 * The same holds for an SRV target whose address query fails. Only when nothing answered is the
 * whole resolution a failure, which {@link HoldPolicy} holds for ever.
 *
 * <p>Bounds: at most {@link #MAX_ADDRESSES} endpoints (the rest dropped in a fixed order: lower
 * priority value first, then by address; the count is reported) and at most
 * {@link #MAX_TARGETS} SRV targets asked about, so a 10,000-record answer costs no more than a
 * 512-record one. The memory of last good addresses only keeps the names of the last resolution.
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
    private record Addresses(DnsResult result, List<InetAddress> addresses, long ttlSeconds, String detail) {
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
                : addresses(host, nextGood).thenApply(a -> byAddress(a));
        return result.thenApply(r -> {
            if (!r.result().failure()) { // a failed round (the SRV query itself) learnt nothing: keep what was known
                lastGood = nextGood; // names no longer asked about are forgotten
            }
            return r;
        });
    }

    private Resolution byAddress(Addresses a) {
        if (a.result() != DnsResult.OK) {
            return new Resolution(a.result(), List.of(), a.ttlSeconds(), a.detail(), 0);
        }
        List<Endpoint> endpoints = new ArrayList<>();
        for (InetAddress address : a.addresses()) {
            endpoints.add(new Endpoint(host, address, port, 0, 0, Readiness.READY, null, null));
        }
        return bounded(DnsResult.OK, endpoints, a.ttlSeconds(), a.detail(), 0);
    }

    private CompletionStage<Resolution> targets(DnsAnswer answer, Map<String, List<InetAddress>> nextGood) {
        if (answer.result() != DnsResult.OK) {
            return CompletableFuture.completedFuture(new Resolution(answer.result(), List.of(), answer.negativeTtl(), answer.detail(), 0));
        }
        List<SRVRecord> records = new ArrayList<>();
        long ttl = Long.MAX_VALUE;
        for (Record r : answer.records()) {
            // Target "." is RFC 2782's "the service is decidedly not available at this domain".
            if (r instanceof SRVRecord s && !s.getTarget().equals(Name.root)) {
                records.add(s);
                ttl = Math.min(ttl, s.getTTL());
            }
        }
        if (records.isEmpty()) {
            return CompletableFuture.completedFuture(new Resolution(DnsResult.EMPTY, List.of(), -1,
                    "SRV " + host + " has no target (or only \".\")", 0));
        }
        records.sort(Comparator.comparingInt(SRVRecord::getPriority).thenComparing(SRVRecord::getTarget).thenComparingInt(SRVRecord::getPort));
        Map<Name, CompletionStage<Addresses>> byTarget = new LinkedHashMap<>();
        int dropped = 0;
        for (SRVRecord r : records) {
            if (!byTarget.containsKey(r.getTarget())) {
                if (byTarget.size() >= MAX_TARGETS) {
                    dropped++;
                    continue;
                }
                byTarget.put(r.getTarget(), fromAdditional(r.getTarget(), answer.additional(), nextGood));
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
        long ttl = srvTtl;
        Addresses failed = null;
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
            String target = r.getTarget().toString(true);
            for (InetAddress address : a.addresses()) {
                endpoints.add(new Endpoint(target, address, r.getPort(), weights[i], r.getPriority(), Readiness.READY, null, target));
            }
        }
        if (endpoints.isEmpty()) {
            return failed != null
                    ? new Resolution(failed.result(), List.of(), -1, failed.detail(), dropped)
                    : new Resolution(DnsResult.EMPTY, List.of(), -1, "no SRV target of " + host + " has an address", dropped);
        }
        return bounded(DnsResult.OK, endpoints, ttl, failed == null ? null : failed.detail(), dropped);
    }

    /** The target's addresses from the additional section, or asked when it has none. */
    private CompletionStage<Addresses> fromAdditional(Name target, List<Record> additional, Map<String, List<InetAddress>> nextGood) {
        List<InetAddress> found = new ArrayList<>();
        long ttl = Long.MAX_VALUE;
        for (Record r : additional) {
            if (r.getName().equals(target) && ((ipv4 && r instanceof ARecord) || (ipv6 && r instanceof AAAARecord))) {
                found.add(literal(r));
                ttl = Math.min(ttl, r.getTTL());
            }
        }
        if (found.isEmpty()) {
            return addresses(target.toString(), nextGood);
        }
        return CompletableFuture.completedFuture(new Addresses(DnsResult.OK, found, ttl, null));
    }

    /** A and AAAA of {@code name}, asked at once. */
    private CompletionStage<Addresses> addresses(String name, Map<String, List<InetAddress>> nextGood) {
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
            return combine(name, families, answers, nextGood);
        }, executor);
    }

    private Addresses combine(String name, List<String> families, List<DnsAnswer> answers, Map<String, List<InetAddress>> nextGood) {
        List<InetAddress> out = new ArrayList<>();
        long ttl = Long.MAX_VALUE;
        long negativeTtl = -1;
        boolean ok = false;
        DnsAnswer failure = null;
        DnsAnswer negative = null;
        for (int i = 0; i < answers.size(); i++) {
            DnsAnswer answer = answers.get(i);
            String key = name + " " + families.get(i);
            if (answer.result() == DnsResult.OK) {
                ok = true;
                List<InetAddress> addresses = answer.records().stream().map(DnsLookup::literal).toList();
                out.addAll(addresses);
                nextGood.put(key, addresses);
                ttl = Math.min(ttl, answer.records().stream().mapToLong(Record::getTTL).min().orElse(ttl));
            } else if (answer.result().failure()) {
                failure = answer;
                List<InetAddress> held = lastGood.get(key);
                if (held != null) {
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
        if (ok) {
            return new Addresses(DnsResult.OK, out, ttl, failure == null ? null : failure.detail() + " (last addresses of that family kept)");
        }
        if (failure != null) {
            return new Addresses(failure.result(), out, -1, failure.detail());
        }
        return new Addresses(negative.result(), List.of(), negativeTtl, negative.detail());
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
