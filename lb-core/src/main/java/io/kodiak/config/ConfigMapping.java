package io.kodiak.config;

import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.Tag;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A YAML mapping checked for unknown and duplicate keys when it is opened, so a typo like
 * {@code timeout:} fails loudly instead of silently leaving the default in place. SnakeYAML's
 * composer keeps duplicate keys (only its object constructor rejects them), hence the check here.
 */
final class ConfigMapping {
    /** The raw mapping and where it sits. */
    record Source(MappingNode node, String path, String file) {
    }

    private final Source source;
    private final Map<String, ScalarNode> keys = new LinkedHashMap<>();
    private final Map<String, ConfigNode> values = new LinkedHashMap<>();

    /**
     * @param allowed the allowed keys, or {@code null} for free-form keys (pool names)
     */
    ConfigMapping(Source source, List<String> allowed) throws ConfigException {
        this.source = source;
        for (NodeTuple tuple : source.node().getValue()) {
            if (!(tuple.getKeyNode() instanceof ScalarNode keyNode) || Tag.NULL.equals(keyNode.getTag())) {
                int line = tuple.getKeyNode().getStartMark().getLine() + 1;
                throw ConfigNode.error(source.file(), line, source.path(), "keys must be plain strings");
            }
            String key = keyNode.getValue();
            String path = childPath(key);
            int line = keyNode.getStartMark().getLine() + 1;
            if (Tag.MERGE.equals(keyNode.getTag())) {
                throw ConfigNode.error(source.file(), line, path,
                        "YAML merge keys are not supported; repeat the keys or use an alias (*name) for the whole value");
            }
            if (allowed != null && !allowed.contains(key)) {
                throw ConfigNode.error(source.file(), line, path, unknownKey(key, allowed));
            }
            ScalarNode first = keys.putIfAbsent(key, keyNode);
            if (first != null) {
                String what = allowed == null ? Values.quote(key) + " is defined twice" : "duplicate key";
                throw ConfigNode.error(source.file(), line, path,
                        what + " (first at line " + (first.getStartMark().getLine() + 1) + ")");
            }
            values.put(key, new ConfigNode(tuple.getValueNode(), path, source.file()));
        }
    }

    /** The value of {@code key}, or {@code null} when the key is absent. */
    ConfigNode get(String key) {
        return values.get(key);
    }

    /** The value of {@code key}; its absence is reported at this mapping's line. */
    ConfigNode require(String key) throws ConfigException {
        ConfigNode value = values.get(key);
        if (value == null) {
            throw childError(key, "required key is missing");
        }
        return value;
    }

    /** An error about {@code key}, located at this mapping: the key is absent, so it has no line. */
    ConfigException childError(String key, String problem) {
        return ConfigNode.error(source.file(), line(), childPath(key), problem);
    }

    /** The keys in file order. */
    List<String> keys() {
        return new ArrayList<>(keys.keySet());
    }

    /** 1-based line of {@code key} itself (not of its value). */
    int keyLine(String key) {
        return keys.get(key).getStartMark().getLine() + 1;
    }

    boolean isEmpty() {
        return keys.isEmpty();
    }

    int line() {
        return source.node().getStartMark().getLine() + 1;
    }

    String path() {
        return source.path();
    }

    /** An error located at this mapping. */
    ConfigException error(String problem) {
        return ConfigNode.error(source.file(), line(), source.path(), problem);
    }

    /** An error located at {@code key} itself, e.g. a bad pool name. */
    ConfigException keyError(String key, String problem) {
        return ConfigNode.error(source.file(), keyLine(key), childPath(key), problem);
    }

    private String childPath(String key) {
        return source.path().isEmpty() ? key : source.path() + "." + key;
    }

    private static String unknownKey(String key, List<String> allowed) {
        String suggestion = "";
        for (String candidate : allowed) {
            if (editDistance(key, candidate) <= 2) {
                suggestion = "; did you mean " + Values.quote(candidate) + "?";
                break;
            }
        }
        return "unknown key" + suggestion + " (allowed: " + String.join(", ", allowed) + ")";
    }

    /** Levenshtein distance; keys are short, so the quadratic table is fine. */
    private static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitute = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(substitute, Math.min(prev[j], cur[j - 1]) + 1);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    @Override
    public String toString() {
        return "ConfigMapping[" + source.file() + ":" + line() + " " + source.path() + " " + keys.keySet() + "]";
    }
}
