package io.kodiak.e2e;

import io.kodiak.Kodiak;
import io.kodiak.config.ConfigLoader;
import io.kodiak.testing.Gunicorn;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs a shipped example (examples/edge.yaml, examples/protect.yaml) as it is in front of three
 * Gunicorn instances of the Flask shop: only the addresses change. The listener binds port 0 and
 * the pool names the instances' ports (tests never bind fixed ports, and the demo may hold 8080);
 * admin and /metrics are off for the same reason. Relative paths are read from the example's
 * directory, as {@code kodiak run -c examples/NAME.yaml} reads them.
 */
final class ExampleFile implements AutoCloseable {
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    final List<Gunicorn> apps = new ArrayList<>();
    final Kodiak kodiak;

    /** Starts the instances and Kodiak on {@code examples/name}; the file must hold 127.0.0.1:8080 and 9001-9003 once each. */
    ExampleFile(String name) throws Exception {
        Path file = ROOT.resolve("examples").resolve(name);
        try {
            for (String app : List.of("app-1", "app-2", "app-3")) {
                apps.add(Gunicorn.builder(app).app("/wsgi/flask_shop.py", "flask_shop:application").start());
            }
            String yaml = Files.readString(file);
            yaml = replaceOnce(name, yaml, "address: 127.0.0.1:8080", "address: 127.0.0.1:0");
            yaml = replaceOnce(name, yaml, "[127.0.0.1:9001, 127.0.0.1:9002, 127.0.0.1:9003]",
                    "[" + String.join(", ", apps.stream().map(Gunicorn::hostPort).toList()) + "]");
            yaml = "admin: {listen: off, state-file: off}\nmetrics: off\n" + yaml;
            kodiak = Kodiak.start(ConfigLoader.parse(yaml, file));
        } catch (Exception | AssertionError e) {
            apps.forEach(Gunicorn::close);
            throw e;
        }
    }

    private static String replaceOnce(String name, String text, String from, String to) {
        int at = text.indexOf(from);
        assertTrue(at >= 0 && text.indexOf(from, at + 1) < 0, "examples/" + name + " should hold \"" + from + "\" once");
        return text.replace(from, to);
    }

    /** The port of the example's listener {@code listener}. */
    int port(String listener) {
        return kodiak.boundAddress(listener).getPort();
    }

    @Override
    public void close() {
        kodiak.close();
        apps.forEach(Gunicorn::close);
    }
}
