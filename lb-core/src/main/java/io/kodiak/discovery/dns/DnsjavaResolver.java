package io.kodiak.discovery.dns;

import io.kodiak.discovery.DnsSettings;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.ResolverConfig;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The real {@link DnsResolver}: dnsjava's asynchronous {@link SimpleResolver}s (its own NIO thread
 * does the I/O), one per nameserver, tried in turn.
 *
 * <p>Why not dnsjava's {@code ExtendedResolver}: it moves to the next nameserver only after an
 * exception, so one nameserver's SERVFAIL or REFUSED would end the query although another could
 * answer; HAProxy and glibc go on to the next. Here a query goes round the nameservers
 * {@code attempts} times and stops at the first answer that is not a failure (NOERROR or
 * NXDOMAIN), so it ends within {@code timeout × attempts × nameservers}.
 *
 * <p>With no nameservers configured the system's are used, as dnsjava reads them
 * ({@code /etc/resolv.conf} on Linux, once per JVM), with its search list and {@code ndots} for a
 * name without a final dot, as glibc applies them. {@code /etc/hosts} is <em>not</em> read: a
 * {@code resolve: true} name is asked of DNS ({@code localhost} is not a DNS name).
 *
 * <p>Threading: {@link #query} never blocks. Answers are handled on {@code callbacks} (the
 * discovery thread), where the next nameserver is asked too. Immutable after construction.
 */
public final class DnsjavaResolver implements DnsResolver {
    /** dnsjava logs every query at DEBUG and a few things at INFO: an operator wants WARNING and up. */
    private static final Logger DNSJAVA_LOG = Logger.getLogger("org.xbill.DNS");
    /** resolv.conf allows 6 search domains; the name itself makes 7. */
    private static final int MAX_CANDIDATES = 7;

    static {
        if (DNSJAVA_LOG.getLevel() == null) { // unless logging.properties set one
            DNSJAVA_LOG.setLevel(Level.WARNING);
        }
    }

    private final List<SimpleResolver> nameservers;
    private final int attempts;
    private final List<Name> searchPath;
    private final int ndots;
    private final Executor callbacks;
    private final String description;

    DnsjavaResolver(List<InetSocketAddress> servers, DnsSettings settings, List<Name> searchPath, int ndots,
                            Executor callbacks) {
        List<SimpleResolver> list = new ArrayList<>();
        for (InetSocketAddress server : servers) {
            SimpleResolver r = new SimpleResolver(server);
            r.setTimeout(settings.timeout());
            list.add(r);
        }
        this.nameservers = List.copyOf(list);
        this.attempts = Math.max(1, settings.attempts());
        this.searchPath = List.copyOf(searchPath);
        this.ndots = ndots;
        this.callbacks = callbacks;
        this.description = "nameservers " + servers + ", " + settings.timeout().toMillis() + " ms per query, "
                + attempts + " attempt(s) each";
    }

    /**
     * The resolver for {@code settings}: its nameservers, or the system's (with their search list)
     * when it names none.
     *
     * @param callbacks where answers are handled (the discovery thread)
     */
    public static DnsjavaResolver of(DnsSettings settings, Executor callbacks) {
        if (!settings.nameservers().isEmpty()) {
            return new DnsjavaResolver(settings.nameservers(), settings, List.of(), 1, callbacks);
        }
        ResolverConfig system = ResolverConfig.getCurrentConfig();
        return new DnsjavaResolver(system.servers(), settings, system.searchPath(), system.ndots(), callbacks);
    }

    @Override
    public CompletionStage<DnsAnswer> query(String name, int type) {
        List<Name> candidates;
        try {
            candidates = candidates(name);
        } catch (TextParseException e) {
            return CompletableFuture.completedFuture(DnsAnswer.of(DnsResult.ERROR, "not a DNS name: " + name + ": " + e.getMessage()));
        }
        if (nameservers.isEmpty()) {
            return CompletableFuture.completedFuture(DnsAnswer.of(DnsResult.ERROR, "no nameserver (none configured, none in the system's)"));
        }
        CompletableFuture<DnsAnswer> done = new CompletableFuture<>();
        ask(candidates, 0, type, 0, done);
        return done;
    }

    /** The names to try, in order, as glibc's resolver would (search list only for relative names). */
    List<Name> candidates(String name) throws TextParseException {
        if (name.endsWith(".") || searchPath.isEmpty()) {
            return List.of(Name.fromString(name, Name.root));
        }
        Name relative = Name.fromString(name);
        List<Name> out = new ArrayList<>();
        boolean absoluteFirst = name.chars().filter(c -> c == '.').count() >= ndots;
        if (absoluteFirst) {
            out.add(Name.fromString(name, Name.root));
        }
        for (Name domain : searchPath) {
            if (out.size() >= MAX_CANDIDATES - 1) {
                break;
            }
            try {
                out.add(Name.concatenate(relative, domain));
            } catch (org.xbill.DNS.NameTooLongException e) {
                // this suffix makes it too long: the others may not
            }
        }
        if (!absoluteFirst) {
            out.add(Name.fromString(name, Name.root));
        }
        return out;
    }

    /** Asks candidate {@code c}, try {@code attempt} (its nameserver is {@code attempt % nameservers}). */
    private void ask(List<Name> candidates, int c, int type, int attempt, CompletableFuture<DnsAnswer> done) {
        SimpleResolver server = nameservers.get(attempt % nameservers.size());
        CompletionStage<Message> sent;
        try {
            Message question = Message.newQuery(Record.newRecord(candidates.get(c), type, DClass.IN));
            sent = server.sendAsync(question, callbacks);
        } catch (RuntimeException e) { // NioUdpClient rethrows, e.g. UnsupportedAddressTypeException: as if it failed
            next(candidates, c, type, attempt, done, failed(e, server));
            return;
        }
        sent.handle((message, error) -> {
            try {
                next(candidates, c, type, attempt, done, error != null ? failed(error, server) : classify(message, type, server));
            } catch (RuntimeException e) { // a bug: the query ends rather than hanging for ever
                done.completeExceptionally(e);
            }
            return null;
        });
    }

    /** After {@code answer} to try {@code attempt} of candidate {@code c}: ask again, ask the next name, or end. */
    private void next(List<Name> candidates, int c, int type, int attempt, CompletableFuture<DnsAnswer> done, DnsAnswer answer) {
        if (answer.result().failure() && attempt + 1 < attempts * nameservers.size()) {
            ask(candidates, c, type, attempt + 1, done);
        } else if (answer.result().negative() && c + 1 < candidates.size()) {
            ask(candidates, c + 1, type, 0, done);
        } else if (answer.result().failure()) {
            done.complete(new DnsAnswer(answer.result(), List.of(), List.of(), -1,
                    answer.detail() + " (" + description + ")"));
        } else {
            done.complete(answer);
        }
    }

    static DnsAnswer classify(Message m, int type, SimpleResolver server) {
        int rcode = m.getRcode();
        if (m.getHeader().getFlag(Flags.TC)) {
            return DnsAnswer.of(DnsResult.ERROR, "answer truncated even over TCP from " + server.getAddress());
        }
        switch (rcode) {
            case Rcode.NOERROR, Rcode.NXDOMAIN -> {
                List<Record> records = m.getSection(Section.ANSWER).stream().filter(r -> r.getType() == type).toList();
                if (!records.isEmpty() && rcode == Rcode.NOERROR) {
                    return new DnsAnswer(DnsResult.OK, records, m.getSection(Section.ADDITIONAL), -1, null);
                }
                long negativeTtl = -1;
                for (Record r : m.getSection(Section.AUTHORITY)) {
                    if (r instanceof SOARecord soa) {
                        negativeTtl = Math.min(soa.getTTL(), soa.getMinimum());
                    }
                }
                DnsResult result = rcode == Rcode.NXDOMAIN ? DnsResult.NX : DnsResult.EMPTY;
                return new DnsAnswer(result, List.of(), List.of(), negativeTtl,
                        (rcode == Rcode.NXDOMAIN ? "NXDOMAIN" : "no " + Type.string(type) + " record") + " for " + m.getQuestion().getName());
            }
            case Rcode.SERVFAIL -> {
                return DnsAnswer.of(DnsResult.SERVFAIL, "SERVFAIL from " + server.getAddress());
            }
            case Rcode.REFUSED -> {
                return DnsAnswer.of(DnsResult.REFUSED, "REFUSED from " + server.getAddress());
            }
            default -> {
                return DnsAnswer.of(DnsResult.ERROR, Rcode.string(rcode) + " from " + server.getAddress());
            }
        }
    }

    static DnsAnswer failed(Throwable error, SimpleResolver server) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (cause instanceof SocketTimeoutException || cause instanceof TimeoutException) {
            return DnsAnswer.of(DnsResult.TIMEOUT, "timeout at " + server.getAddress());
        }
        if (cause instanceof java.net.PortUnreachableException) { // ICMP: the host is up, no server on the port
            return DnsAnswer.of(DnsResult.ERROR, "no DNS server listening at " + server.getAddress() + " (port unreachable)");
        }
        return DnsAnswer.of(DnsResult.ERROR, cause.getClass().getSimpleName() + " at " + server.getAddress()
                + (cause.getMessage() == null ? "" : ": " + cause.getMessage()));
    }

    @Override
    public String toString() {
        return "dnsjava " + description;
    }
}
