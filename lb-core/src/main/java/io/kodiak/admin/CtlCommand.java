package io.kodiak.admin;

import io.kodiak.config.Flags;
import io.kodiak.config.Flags.Flag;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The subcommands of {@code kodiak ctl}: for each, its arguments and flags, from which come its
 * usage, the check of its command line and the list of flags an unknown one is told about. The
 * flags every subcommand takes ({@code --admin}, {@code --token}, {@code --json}, and {@code --instances}
 * with {@code --all} for several Kodiak instances) may stand anywhere on the line, before the
 * subcommand too; {@link Ctl} does the work ({@link CtlFanout} for {@code --all}).
 */
enum CtlCommand {
    STATUS("status", "[POOL]", 0, 1, "every upstream (or POOL's) with state and why, weight, load, totals, last check"),
    LIST("list", "POOL", 1, 1, "the pool's upstream names, one per line"),
    DRAIN("drain", "POOL UPSTREAM | ADDRESS", 1, 2, "no new requests; those in flight finish; still health-checked",
            waitUntil("nothing is in flight on it"), timeout("how long --wait waits")),
    MAINT("maint", "POOL UPSTREAM | ADDRESS", 1, 2, "no traffic and no health checks (DOWN until a check passes when it leaves)",
            waitUntil("nothing is in flight on it"), timeout("how long --wait waits")),
    READY("ready", "POOL UPSTREAM | ADDRESS", 1, 2, "back in rotation, through the pool's slow start",
            waitUntil("it is UP (after its first passed check if it was in maint)"), timeout("how long --wait waits")),
    WEIGHT("weight", "POOL UPSTREAM N|configured", 3, 3, "set the weight (0-1000; 0 drains), or go back to the configured one"),
    WAIT_DRAINED("wait-drained", "POOL UPSTREAM | ADDRESS", 1, 2, "wait until nothing is in flight on a drained upstream",
            timeout("how long to wait")),
    ADD("add", "POOL HOST:PORT [NAME [WEIGHT]]", 2, 4, "add an upstream at runtime (a reload or restart goes back to the file)"),
    REMOVE("remove", "POOL UPSTREAM", 2, 2, "take it out of the pool; returns once nothing is in flight on it",
            timeout("how long to wait for its requests in flight")),
    RELOAD("reload", "", 0, 0, "re-read the configuration file and apply it, as SIGHUP; a bad file changes nothing"),
    REOPEN_LOGS("reopen-logs", "", 0, 0, "reopen every access log after logrotate renamed it, as SIGUSR1; returns once done"),
    VERSION("version", "", 0, 0, "the running configuration's version, file and start time (kodiak -V: the program's)"),
    TOKEN("token", "", 0, 0, "print the admin token ctl would use (--token, $KODIAK_ADMIN_TOKEN, else the file Kodiak wrote), "
            + "to paste into the status page's login");

    /** What {@code kodiak ctl --help} and each command's usage say of every command. */
    private static final String UPSTREAM = "UPSTREAM is an upstream's name or its HOST:PORT. ADDRESS alone (HOST:PORT, [IPV6]:PORT or"
            + " unix:/PATH) means every upstream there, in every pool, and upstreams found there later.";
    private static final String EXIT_CODES =
            "Exit codes: 0 done, 1 refused by Kodiak (the message says why), 2 usage, 3 the wait timed out (the change "
                    + "itself is in force), 4 admin API unreachable.";

    /** The flags every command takes (a holder: an enum's constructors cannot read its static fields). */
    private static final class Common {
        static final List<Flag> FLAGS = List.of(
            Flag.value("--admin", "HOST:PORT", "where Kodiak's admin API is (default $KODIAK_ADMIN, else 127.0.0.1:9090)"),
            Flag.value("--token", "TOKEN", "bearer token for changes (default $KODIAK_ADMIN_TOKEN, else the file Kodiak wrote "
                    + "under ~/.kodiak or $KODIAK_HOME)"),
            Flag.toggle("--json", "print the admin API's JSON answer instead of text"),
            Flag.value("--instances", "LIST", "the admin APIs of every instance, for --all: HOST:PORT,HOST:PORT,... or "
                    + "dns:NAME:PORT (every address of NAME) (default $KODIAK_INSTANCES)"),
            Flag.toggle("--all", "run the command on every instance of --instances at once; each line starts with its "
                    + "instance, the exit code is the worst (4, 3, 1, 0); status shows the instances side by side"));
    }

    private final String word;
    private final String arguments;
    private final int min;
    private final int max;
    private final String summary;
    private final List<Flag> own;
    private final Flags flags;

    CtlCommand(String word, String arguments, int min, int max, String summary, Flag... own) {
        this.word = word;
        this.arguments = arguments;
        this.min = min;
        this.max = max;
        this.summary = summary;
        this.own = List.of(own);
        List<Flag> all = new ArrayList<>(this.own);
        all.addAll(Common.FLAGS);
        String synopsis = Stream.concat(Stream.of(arguments), all.stream().map(CtlCommand::optional))
                .filter(s -> !s.isEmpty()).collect(Collectors.joining(" "));
        this.flags = Flags.of("kodiak ctl " + word, synopsis, summary.substring(0, 1).toUpperCase(Locale.ROOT)
                        + summary.substring(1) + ".", all.toArray(Flag[]::new))
                .withArguments()
                .withNotes(arguments.contains("UPSTREAM") ? new String[] {UPSTREAM, EXIT_CODES} : new String[] {EXIT_CODES});
    }

    private static Flag waitUntil(String what) {
        return Flag.toggle("--wait", "return once " + what + " (exit 3 if --timeout passes first)");
    }

    private static Flag timeout(String meaning) {
        return Flag.value("--timeout", "D", meaning + ", e.g. 90s or 5m (default "
                + io.kodiak.config.Values.format(AdminServer.DEFAULT_WAIT) + ", at most 1h)");
    }

    private static String optional(Flag f) {
        return "[" + f.name() + (f.valueName() == null ? "" : " " + f.valueName()) + "]";
    }

    /** The word that names it on the command line. */
    String word() {
        return word;
    }

    /** Its flags and usage; the subcommand's word is the first of the parsed arguments. */
    Flags flags() {
        return flags;
    }

    /** The arguments after the subcommand's word, if there are as many as it takes. */
    List<String> arguments(List<String> words) throws Ctl.UsageException {
        List<String> rest = words.subList(1, words.size());
        if (rest.size() < min || rest.size() > max) {
            throw new Ctl.UsageException("expected: " + (word + " " + arguments).strip(), this);
        }
        return rest;
    }

    /** The subcommand this word names, or {@code null}. */
    static CtlCommand named(String word) {
        for (CtlCommand c : values()) {
            if (c.word.equals(word)) {
                return c;
            }
        }
        return null;
    }

    /** Every flag any subcommand takes: enough to find the subcommand's word on a line. */
    static Flags anyFlags() {
        return Flags.of("kodiak ctl", "", "", Stream.concat(Common.FLAGS.stream(), Stream.of(waitUntil(""), timeout("")))
                .toArray(Flag[]::new)).withArguments();
    }

    /** {@code kodiak ctl --help}: the subcommands, the flags they share, the environment and the exit codes. */
    static String usage() {
        StringBuilder sb = new StringBuilder("""
                usage: kodiak ctl COMMAND [ARGUMENTS] [FLAGS]
                Drive a running Kodiak through its admin API. Each command's flags: kodiak ctl COMMAND --help.
                commands:
                """);
        List<String> labels = new ArrayList<>();
        for (CtlCommand c : values()) {
            labels.add(Stream.concat(Stream.of(c.word, c.arguments), c.own.stream().map(CtlCommand::optional))
                    .filter(s -> !s.isEmpty()).collect(Collectors.joining(" ")));
        }
        int width = labels.stream().mapToInt(String::length).max().orElse(0);
        for (CtlCommand c : values()) {
            String label = labels.get(c.ordinal());
            sb.append("  ").append(label).append(" ".repeat(width - label.length() + 2)).append(c.summary).append('\n');
        }
        sb.append("flags of every command:\n").append(Flags.of("kodiak ctl", "", "", Common.FLAGS.toArray(Flag[]::new)).flagLines());
        return sb.append(UPSTREAM).append('\n').append(EXIT_CODES).append('\n').toString();
    }
}
