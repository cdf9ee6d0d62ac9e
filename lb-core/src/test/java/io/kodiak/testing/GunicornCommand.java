package io.kodiak.testing;

import org.junit.jupiter.api.Assumptions;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * How the {@link Gunicorn} fixture runs Gunicorn. The command is found once per JVM: the
 * {@code gunicorn} executable on {@code PATH} (Debian's package), else {@code python3 -m gunicorn}.
 * Each candidate must answer {@code --version}, so a broken install counts as missing rather than
 * failing later and obscurely.
 */
final class GunicornCommand {

    static final String INSTALL_HINT = "install it with: apt-get install -y gunicorn";

    private static List<String> cached; // guarded by GunicornCommand.class; empty = not found
    private static String version = "";

    private GunicornCommand() {
    }

    /**
     * The command prefix that runs Gunicorn. If there is none, aborts the calling test (JUnit
     * assumption) when the {@code CI} environment variable is unset, and fails it when set: in CI a
     * missing Gunicorn is a broken build, not a reason to quietly skip tests.
     */
    static List<String> require() {
        List<String> command = find();
        if (command.isEmpty()) {
            onMissing(System.getenv("CI"));
        }
        return command;
    }

    /** The version line Gunicorn printed, e.g. {@code gunicorn (version 20.1.0)}, or empty. */
    static synchronized String version() {
        return version;
    }

    /** What to do when Gunicorn is missing, given the value of {@code CI} (null when unset). */
    static void onMissing(String ciVariable) {
        String message = "gunicorn is not installed (no `gunicorn` on PATH, no `python3 -m gunicorn`); " + INSTALL_HINT;
        if (ciVariable == null || ciVariable.isEmpty()) {
            Assumptions.abort(message + ". Skipping: the CI environment variable is unset.");
        }
        throw new IllegalStateException(message + ". Required because CI=" + ciVariable + ".");
    }

    static synchronized List<String> find() {
        if (cached == null) {
            cached = List.of();
            for (List<String> candidate : candidates()) {
                String answer = versionOf(candidate);
                if (answer != null) {
                    cached = candidate;
                    version = answer;
                    break;
                }
            }
        }
        return cached;
    }

    private static List<List<String>> candidates() {
        List<List<String>> out = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(File.pathSeparator)) {
                Path exe = Path.of(dir.isEmpty() ? "." : dir, "gunicorn");
                if (Files.isRegularFile(exe) && Files.isExecutable(exe)) {
                    out.add(List.of(exe.toString()));
                    break;
                }
            }
        }
        out.add(List.of("python3", "-m", "gunicorn"));
        return out;
    }

    /** The first output line of {@code command --version}, or {@code null} if it does not run cleanly. */
    private static String versionOf(List<String> command) {
        List<String> args = new ArrayList<>(command);
        args.add("--version");
        Path output = null;
        Process p = null;
        try {
            // Output to a file, not a pipe: reading a pipe could block past the timeout below.
            output = Files.createTempFile("gunicorn-version", ".txt");
            p = new ProcessBuilder(args).redirectErrorStream(true).redirectOutput(output.toFile()).start();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return null;
            }
            String text = Files.readString(output, StandardCharsets.UTF_8).trim();
            return p.exitValue() == 0 && text.startsWith("gunicorn") ? text.lines().findFirst().orElse("") : null;
        } catch (IOException e) {
            return null; // e.g. no python3 at all: this candidate is simply not available
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while probing " + command, e);
        } finally {
            deleteQuietly(output);
        }
    }

    private static void deleteQuietly(Path file) {
        if (file == null) {
            return;
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // A leftover temp file is harmless; say so rather than hide it.
            System.err.println("could not delete " + file + ": " + e);
        }
    }

    /**
     * A fresh directory for one instance (under {@code target/gunicorn} when the working directory is
     * a module, else the temp dir), holding a copy of the WSGI app; it will also hold the logs.
     */
    static Path prepareDirectory(Gunicorn.Builder b) throws IOException {
        Path parent = b.baseDir;
        if (parent == null) {
            Path target = Path.of("target");
            parent = Files.isDirectory(target) ? target.resolve("gunicorn") : Path.of(System.getProperty("java.io.tmpdir"));
        }
        Files.createDirectories(parent);
        Path dir = Files.createTempDirectory(parent.toAbsolutePath(), b.name + "-");
        try (InputStream app = GunicornCommand.class.getResourceAsStream(b.appResource)) {
            if (app == null) {
                throw new IllegalStateException(b.appResource + " is not on the test classpath");
            }
            String file = b.appResource.substring(b.appResource.lastIndexOf('/') + 1);
            Files.copy(app, dir.resolve(file), StandardCopyOption.REPLACE_EXISTING);
        }
        return dir;
    }

    /** The process for one instance: Gunicorn under {@code setsid}, serving the app copy in {@code dir}. */
    static ProcessBuilder processBuilder(List<String> command, Gunicorn.Builder b, Path dir) {
        ProcessBuilder pb = new ProcessBuilder(arguments(command, b, dir));
        Map<String, String> env = pb.environment();
        env.remove("GUNICORN_CMD_ARGS"); // would silently change the options below
        env.remove("WEB_CONCURRENCY");
        env.put("KODIAK_INSTANCE", b.name);
        env.put("PYTHONUNBUFFERED", "1");
        env.put("PYTHONDONTWRITEBYTECODE", "1");
        return pb;
    }

    private static List<String> arguments(List<String> command, Gunicorn.Builder b, Path dir) {
        List<String> args = new ArrayList<>();
        args.add("setsid"); // own process group, see Gunicorn's class comment
        args.addAll(command);
        args.add("--bind=" + b.host + ":" + b.port);
        args.add("--chdir=" + dir);
        args.add("--workers=" + b.workers);
        args.add("--worker-class=" + b.workerClass.option);
        if (b.workerClass == Gunicorn.WorkerClass.GTHREAD) {
            // Only with gthread: Gunicorn silently turns sync into gthread when threads > 1.
            args.add("--threads=" + b.threads);
        }
        args.add("--keep-alive=" + b.keepAlive.toSeconds());
        args.add("--graceful-timeout=" + b.gracefulTimeout.toSeconds());
        args.add("--timeout=" + b.workerTimeout.toSeconds());
        args.add("--access-logfile=-");
        args.add("--error-logfile=-");
        args.add("--log-level=info");
        args.addAll(b.extraArgs);
        args.add(b.appCallable);
        return args;
    }
}
