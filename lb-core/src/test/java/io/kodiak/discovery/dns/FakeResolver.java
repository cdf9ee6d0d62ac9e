package io.kodiak.discovery.dns;

import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A {@link DnsResolver} whose answers the test sets, per name and type: each query gets the
 * answer set now (an unset one is NXDOMAIN), already completed, or one held {@link #hold open}
 * until the test completes it. Records every question. Test thread only.
 */
final class FakeResolver implements DnsResolver {
    private final Map<String, DnsAnswer> answers = new HashMap<>();
    private final Map<String, CompletableFuture<DnsAnswer>> held = new HashMap<>();
    final List<String> asked = new ArrayList<>();

    @Override
    public CompletionStage<DnsAnswer> query(String name, int type) {
        String key = key(name, type);
        asked.add(key);
        CompletableFuture<DnsAnswer> open = held.remove(key);
        if (open != null) {
            return open;
        }
        return CompletableFuture.completedFuture(answers.getOrDefault(key, DnsAnswer.of(DnsResult.NX, "NXDOMAIN for " + name)));
    }

    FakeResolver answer(String name, int type, DnsAnswer answer) {
        answers.put(key(name, type), answer);
        return this;
    }

    /** The next query of {@code name}/{@code type} waits for the future returned. */
    CompletableFuture<DnsAnswer> hold(String name, int type) {
        CompletableFuture<DnsAnswer> f = new CompletableFuture<>();
        held.put(key(name, type), f);
        return f;
    }

    /** A answers: {@code addresses} with TTL {@code ttl} (IPv4 literals). */
    FakeResolver a(String name, long ttl, String... addresses) {
        return answer(name, Type.A, DnsAnswer.ok(records(name, ttl, addresses)));
    }

    FakeResolver aaaa(String name, long ttl, String... addresses) {
        return answer(name, Type.AAAA, DnsAnswer.ok(records(name, ttl, addresses)));
    }

    long count(String name, int type) {
        return asked.stream().filter(key(name, type)::equals).count();
    }

    static List<Record> records(String name, long ttl, String... addresses) {
        List<Record> out = new ArrayList<>();
        for (String a : addresses) {
            InetAddress ip = ip(a);
            out.add(ip.getAddress().length == 4 ? new ARecord(name(name), DClass.IN, ttl, ip) : new AAAARecord(name(name), DClass.IN, ttl, ip));
        }
        return out;
    }

    static SRVRecord srv(String service, long ttl, int priority, int weight, int port, String target) {
        return new SRVRecord(name(service), DClass.IN, ttl, priority, weight, port, name(target));
    }

    static Name name(String s) {
        try {
            return Name.fromString(s, Name.root);
        } catch (TextParseException e) {
            throw new IllegalArgumentException(s, e);
        }
    }

    static InetAddress ip(String literal) {
        try {
            return InetAddress.getByName(literal); // a literal: no lookup
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(literal, e);
        }
    }

    private static String key(String name, int type) {
        return (name.endsWith(".") ? name : name + ".") + " " + Type.string(type);
    }
}
