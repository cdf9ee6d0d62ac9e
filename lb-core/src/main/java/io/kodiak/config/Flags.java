package io.kodiak.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * One command's flags and the usage text made from them, so that every command of the command line
 * ({@code demo}, {@code run}, {@code check}, {@code proxy}, each {@code ctl} subcommand) treats
 * {@code --help}, unknown flags and missing values alike:
 * <ul>
 *   <li>{@code -h} or {@code --help} anywhere before {@code --} asks for the usage, whatever else
 *       the line holds;</li>
 *   <li>a flag takes its value as the next argument, unless that starts with {@code --}, or after
 *       '=' ({@code --to=127.0.0.1:9001}); everything after {@code --} is an argument;</li>
 *   <li>an unknown flag, a missing or empty value, a value given twice, a value on a flag that
 *       takes none, or an argument where the command takes none is a {@link ConfigException} that
 *       names the flag and, for an unknown one, the flags that exist.</li>
 * </ul>
 * Values come back as text: each command checks its own, so that problems read {@code FLAG:
 * problem}, as a configuration file's read {@code KEY: problem}.
 */
public final class Flags {
    private static final Flag HELP = Flag.toggle("--help", "print this help and exit").alias("-h");

    /**
     * One flag: its long name, an optional one-letter alias, the name of its value ({@code null}
     * for a switch) and a one-line meaning that states the default.
     */
    public record Flag(String name, String alias, String valueName, String meaning) {
        /** A flag with a value, e.g. {@code value("--listen", "HOST:PORT", "... (default ...)")}. */
        public static Flag value(String name, String valueName, String meaning) {
            return new Flag(name, null, valueName, meaning);
        }

        /** A switch: present or not. */
        public static Flag toggle(String name, String meaning) {
            return new Flag(name, null, null, meaning);
        }

        /** The same flag, also spelt {@code alias} (e.g. {@code -c} for {@code --config}). */
        public Flag alias(String alias) {
            return new Flag(name, alias, valueName, meaning);
        }

        boolean takesValue() {
            return valueName != null;
        }

        /** {@code -c/--config}, as the list of flags in an error names it. */
        String names() {
            return alias == null ? name : alias + "/" + name;
        }

        /** {@code -c, --config FILE}, as the usage lists it. */
        String label() {
            return (alias == null ? "" : alias + ", ") + name + (valueName == null ? "" : " " + valueName);
        }
    }

    /** What a command line said: help asked for, values by flag name, switches given, arguments. */
    public record Parsed(boolean help, Map<String, String> values, Set<String> toggles, List<String> arguments) {
        /** The value of the flag with this long name, or {@code null} when it was not given. */
        public String value(String name) {
            return values.get(name);
        }

        /** Whether the switch with this long name was given. */
        public boolean has(String name) {
            return toggles.contains(name);
        }
    }

    private final String command;
    private final String synopsis;
    private final String summary;
    private final List<Flag> flags;
    private final boolean takesArguments;
    private final List<String> notes;

    private Flags(String command, String synopsis, String summary, List<Flag> flags, boolean takesArguments,
                  List<String> notes) {
        this.command = command;
        this.synopsis = synopsis;
        this.summary = summary;
        this.flags = List.copyOf(flags);
        this.takesArguments = takesArguments;
        this.notes = List.copyOf(notes);
    }

    /**
     * A command that takes these flags and no other arguments.
     *
     * @param command  how it is called, e.g. {@code kodiak proxy}
     * @param synopsis what follows the command in the usage line, e.g. {@code --to HOST:PORT,... [--listen HOST:PORT]}
     * @param summary  what it does, in one line
     */
    public static Flags of(String command, String synopsis, String summary, Flag... flags) {
        return new Flags(command, synopsis, summary, List.of(flags), false, List.of());
    }

    /** The same, but arguments that are not flags are returned in {@link Parsed#arguments()}. */
    public Flags withArguments() {
        return new Flags(command, synopsis, summary, flags, true, notes);
    }

    /** The same, with lines printed after the list of flags. */
    public Flags withNotes(String... lines) {
        return new Flags(command, synopsis, summary, flags, takesArguments, List.of(lines));
    }

    /** What the command does, in one line (for a list of commands). */
    public String summary() {
        return summary;
    }

    /**
     * Reads a command line (the arguments after the command's name).
     *
     * @throws ConfigException for an unknown flag, a missing, empty or repeated value, a value on a
     *                         switch, or an argument where the command takes none
     */
    public Parsed parse(List<String> args) throws ConfigException {
        int end = args.indexOf("--");
        for (String a : end < 0 ? args : args.subList(0, end)) {
            if (a.equals("--help") || a.equals("-h")) {
                return new Parsed(true, Map.of(), Set.of(), List.of());
            }
        }
        Map<String, String> values = new LinkedHashMap<>();
        Set<String> toggles = new LinkedHashSet<>();
        List<String> arguments = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (i == end) {
                for (String rest : args.subList(i + 1, args.size())) {
                    argument(rest, arguments);
                }
                break;
            }
            if (!isFlag(arg)) {
                argument(arg, arguments);
                continue;
            }
            int eq = arg.startsWith("--") ? arg.indexOf('=') : -1;
            String name = eq < 0 ? arg : arg.substring(0, eq);
            Flag flag = flags.stream().filter(f -> name.equals(f.name()) || name.equals(f.alias())).findFirst()
                    .orElseThrow(() -> new ConfigException(name + ": unknown flag (" + flagList() + ")"));
            if (!flag.takesValue()) {
                if (eq >= 0) {
                    throw new ConfigException(name + ": takes no value");
                }
                toggles.add(flag.name());
                continue;
            }
            String value;
            if (eq >= 0) {
                value = arg.substring(eq + 1);
            } else if (i + 1 < args.size() && !args.get(i + 1).startsWith("--")) {
                value = args.get(++i);
            } else {
                value = "";
            }
            if (value.isEmpty()) {
                throw new ConfigException(name + ": needs a value (" + name + " " + flag.valueName() + ")");
            }
            if (values.putIfAbsent(flag.name(), value) != null) {
                throw new ConfigException(name + ": given more than once");
            }
        }
        return new Parsed(false, values, toggles, arguments);
    }

    /**
     * The first argument that is neither a flag nor a flag's value, or {@code null}: the subcommand,
     * for a command whose flags may come before it ({@code kodiak ctl --admin H:P drain ...}). A flag
     * this command does not know is taken for a switch; {@link #parse} will reject it.
     */
    public String firstArgument(List<String> args) {
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (arg.equals("--")) {
                return i + 1 < args.size() ? args.get(i + 1) : null;
            }
            if (!isFlag(arg)) {
                return arg;
            }
            boolean separateValue = arg.indexOf('=') < 0
                    && flags.stream().anyMatch(f -> f.takesValue() && (arg.equals(f.name()) || arg.equals(f.alias())));
            if (separateValue && i + 1 < args.size() && !args.get(i + 1).startsWith("--")) {
                i++;
            }
        }
        return null;
    }

    private void argument(String arg, List<String> arguments) throws ConfigException {
        if (!takesArguments) {
            throw new ConfigException(Values.quote(arg) + ": unexpected argument (" + flagList() + ")");
        }
        arguments.add(arg);
    }

    /** {@code --x}, {@code -c}; but not {@code -} (stdin, by convention) or {@code -1} (a number). */
    private static boolean isFlag(String arg) {
        return arg.length() > 1 && arg.charAt(0) == '-' && (arg.charAt(1) == '-' || Character.isLetter(arg.charAt(1)));
    }

    /** {@code flags are --listen, --to, -h/--help}: every flag this command takes. */
    private String flagList() {
        return "flags are " + allFlags().map(Flag::names).collect(Collectors.joining(", "));
    }

    private Stream<Flag> allFlags() {
        return Stream.concat(flags.stream(), Stream.of(HELP));
    }

    /** The usage line, the summary, every flag with its meaning and default, and the notes. */
    public String usage() {
        StringBuilder sb = new StringBuilder();
        sb.append("usage: ").append(command).append(synopsis.isEmpty() ? "" : " " + synopsis).append('\n');
        sb.append(summary).append('\n');
        sb.append("flags:\n").append(flagLines());
        notes.forEach(n -> sb.append(n).append('\n'));
        return sb.toString();
    }

    /** One line per flag, {@code --help} last: {@code "  -c, --config FILE  meaning (default ...)"}. */
    public String flagLines() {
        int width = allFlags().mapToInt(f -> f.label().length()).max().orElse(0);
        StringBuilder sb = new StringBuilder();
        allFlags().forEach(f -> sb.append("  ").append(f.label()).append(" ".repeat(width - f.label().length() + 2))
                .append(f.meaning()).append('\n'));
        return sb.toString();
    }

    @Override
    public String toString() {
        return "Flags[" + command + ": " + allFlags().map(Flag::names).collect(Collectors.joining(" ")) + "]";
    }
}
