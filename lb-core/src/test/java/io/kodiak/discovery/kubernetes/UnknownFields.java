package io.kodiak.discovery.kubernetes;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Finds the fields a fabric8 model did not know: they land in each object's
 * {@code additionalProperties} instead of failing the read, so a typo such as {@code readinesProbe}
 * or {@code terminationGracePeriod} would pass a plain unmarshal and be ignored by the API server
 * (or refused by kubectl's strict validation, which needs a server here).
 */
final class UnknownFields {
    private static final String MODELS = "io.fabric8.kubernetes.api.model";

    private UnknownFields() {
    }

    /** {@code spec.template.spec.containers[0]: readinesProbe}, one per object with unknown fields. */
    static List<String> of(Object root) {
        List<String> found = new ArrayList<>();
        walk(root, "", found, Collections.newSetFromMap(new IdentityHashMap<>()), 0);
        return found;
    }

    private static void walk(Object o, String path, List<String> found, Set<Object> seen, int depth) {
        if (o == null || depth > 40) {
            return;
        }
        if (o instanceof Collection<?> c) {
            int i = 0;
            for (Object e : c) {
                walk(e, path + "[" + i++ + "]", found, seen, depth + 1);
            }
            return;
        }
        if (o instanceof Map<?, ?> m) {
            m.forEach((k, v) -> walk(v, path + "." + k, found, seen, depth + 1));
            return;
        }
        if (!o.getClass().getName().startsWith(MODELS) || !seen.add(o)) {
            return;
        }
        for (Method g : o.getClass().getMethods()) {
            if (g.getParameterCount() != 0 || Modifier.isStatic(g.getModifiers()) || g.getDeclaringClass() == Object.class) {
                continue;
            }
            String n = g.getName();
            boolean getter = n.startsWith("get") && n.length() > 3 || n.startsWith("is") && n.length() > 2;
            if (!getter) {
                continue;
            }
            Object value;
            try {
                value = g.invoke(o);
            } catch (ReflectiveOperationException | RuntimeException e) {
                continue; // derived values (a Quantity's amount) that this object cannot compute
            }
            if (n.equals("getAdditionalProperties")) {
                if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    found.add((path.isEmpty() ? "(top)" : path.substring(1)) + ": " + extra.keySet());
                }
            } else {
                String property = Character.toLowerCase(n.charAt(n.startsWith("is") ? 2 : 3)) + n.substring(n.startsWith("is") ? 3 : 4);
                walk(value, path + "." + property, found, seen, depth + 1);
            }
        }
    }
}
