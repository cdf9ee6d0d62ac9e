package io.kodiak.discovery.kubernetes;

import io.fabric8.kubernetes.client.KubernetesClientException;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A failed Kubernetes API call in words an operator can act on. A 403 is the usual one (the
 * manifests' Role was not applied, or names another namespace), and the API server's own text
 * ("User \"system:serviceaccount:shop:kodiak\" cannot list resource ...") is long and names
 * neither the fix nor which Kodiak feature needs it, so it becomes
 * {@code serviceaccount shop:kodiak cannot list endpointslices.discovery.k8s.io in namespace shop:
 * apply deploy/kubernetes/rbac.yaml}.
 */
final class ApiErrors {
    /** The API server's forbidden text names the user and the verb; the rest we know better. */
    private static final Pattern USER = Pattern.compile("User \"([^\"]{1,200})\"");
    private static final Pattern VERB = Pattern.compile("cannot ([a-z]{1,20}) resource");
    private static final String SERVICE_ACCOUNT = "system:serviceaccount:";
    private static final int MAX_MESSAGE = 300;

    private ApiErrors() {
    }

    /** The HTTP status of the first {@link KubernetesClientException} in {@code t}'s causes, or 0. */
    static int code(Throwable t) {
        int depth = 0;
        for (Throwable c = t; c != null && depth < 10; c = c.getCause(), depth++) {
            if (c instanceof KubernetesClientException k && k.getCode() > 0) {
                return k.getCode();
            }
        }
        return 0;
    }

    static boolean forbidden(Throwable t) {
        return code(t) == 403;
    }

    /**
     * @param verb     what was tried, when the server's text does not say ({@code list})
     * @param resource {@code endpointslices.discovery.k8s.io}, {@code configmaps}
     * @param fix      the manifest that grants it
     */
    static String describe(Throwable t, String verb, String resource, String namespace, String fix) {
        String text = text(t);
        if (forbidden(t)) {
            Matcher v = VERB.matcher(text);
            return who(text) + " cannot " + (v.find() ? v.group(1) : verb) + " " + resource + " in namespace "
                    + namespace + ": apply " + fix;
        }
        int code = code(t);
        return (code > 0 ? "HTTP " + code + ": " : "") + text;
    }

    /** {@code serviceaccount shop:kodiak} from the server's text, or the user it names, or "this client". */
    private static String who(String text) {
        Matcher m = USER.matcher(text);
        if (!m.find()) {
            return "this client";
        }
        String user = m.group(1);
        return user.startsWith(SERVICE_ACCOUNT) ? "serviceaccount " + user.substring(SERVICE_ACCOUNT.length()) : "user " + user;
    }

    /** The innermost useful message, one line, cut to a length a log and a JSON field can carry. */
    private static String text(Throwable t) {
        String message = null;
        int depth = 0;
        for (Throwable c = t; c != null && depth < 10; c = c.getCause(), depth++) {
            if (c instanceof KubernetesClientException k && k.getStatus() != null && k.getStatus().getMessage() != null) {
                message = k.getStatus().getMessage();
                break;
            }
            if (c.getMessage() != null) {
                message = c.getClass().getSimpleName() + ": " + c.getMessage();
            }
        }
        if (message == null) {
            message = t.getClass().getSimpleName();
        }
        message = message.replaceAll("\\s+", " ").trim();
        return message.length() > MAX_MESSAGE ? message.substring(0, MAX_MESSAGE) + "..." : message;
    }

    /**
     * Logs a repeating failure at most once a minute, so that a retry loop with backoff (every
     * few seconds at best) does not fill the log, and says how many were left out.
     * Threading: one thread (the discovery thread).
     */
    static final class Throttled {
        static final long INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);

        private final Logger log;
        private final LongSupplier ticker;
        private long lastNanos;
        private boolean logged;
        private int suppressed;

        Throttled(Logger log, LongSupplier ticker) {
            this.log = log;
            this.ticker = ticker;
        }

        void log(Level level, String message) {
            long now = ticker.getAsLong();
            if (logged && now - lastNanos < INTERVAL_NANOS) {
                suppressed++;
                return;
            }
            String more = suppressed > 0 ? " (" + suppressed + " more like it in the last minute)" : "";
            logged = true;
            lastNanos = now;
            suppressed = 0;
            log.log(level, message + more);
        }
    }
}
