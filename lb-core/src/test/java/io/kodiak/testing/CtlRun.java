package io.kodiak.testing;

import io.kodiak.admin.Ctl;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Function;

/**
 * One {@code kodiak ctl} run in this JVM, as a script sees it: its exit code and what it printed.
 *
 * @param code the exit code ({@link Ctl#OK}, {@link Ctl#REFUSED}, ...)
 * @param out  what it printed on stdout
 * @param err  what it printed on stderr
 */
public record CtlRun(int code, String out, String err) {
    /** Runs {@code kodiak ctl ARGS} with {@code env} standing for the environment. */
    public static CtlRun run(Function<String, String> env, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Ctl.run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), env);
        return new CtlRun(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
