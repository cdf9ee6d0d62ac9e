package io.kodiak.config;

import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * A YAML node together with its key path, so every value read from it can fail with
 * {@code FILE:LINE: KEY.PATH: problem}. Values are read from the node's text, not from the tag
 * SnakeYAML's YAML 1.1 resolver guessed, so {@code yes} is not a boolean and {@code 0x10} is not
 * a number: the config accepts one spelling per value.
 */
final class ConfigNode {
    private final Node node;
    private final String path;
    private final String file;

    ConfigNode(Node node, String path, String file) {
        this.node = node;
        this.path = path;
        this.file = file;
    }

    String path() {
        return path;
    }

    /** 1-based line where this node starts. */
    int line() {
        return node.getStartMark().getLine() + 1;
    }

    /** An error located at this node. */
    ConfigException error(String problem) {
        return error(file, line(), path, problem);
    }

    static ConfigException error(String file, int line, String path, String problem) {
        return new ConfigException(path.isEmpty()
                ? file + ":" + line + ": " + problem
                : file + ":" + line + ": " + path + ": " + problem);
    }

    /** Whether this is a list (a section that takes one item or a list of them). */
    boolean isSequence() {
        return node instanceof SequenceNode;
    }

    boolean isScalar() {
        return node instanceof ScalarNode && !isNull();
    }

    /** Reads a mapping whose keys must all be in {@code allowed}. */
    ConfigMapping mapping(List<String> allowed) throws ConfigException {
        return new ConfigMapping(asMapping(), allowed);
    }

    /** Reads a mapping with free-form keys (pool names). */
    ConfigMapping freeMapping() throws ConfigException {
        return new ConfigMapping(asMapping(), null);
    }

    private ConfigMapping.Source asMapping() throws ConfigException {
        if (!(node instanceof MappingNode m)) {
            throw mismatch("a mapping");
        }
        return new ConfigMapping.Source(m, path, file);
    }

    /** The elements of a sequence, with paths {@code path[i]}. */
    List<ConfigNode> sequence() throws ConfigException {
        if (!(node instanceof SequenceNode s)) {
            throw mismatch("a list");
        }
        List<ConfigNode> items = new ArrayList<>(s.getValue().size());
        for (Node item : s.getValue()) {
            items.add(new ConfigNode(item, path + "[" + items.size() + "]", file));
        }
        return items;
    }

    /** A list of host names ({@code allowed-hosts}), as {@link Values#allowedHost} reads each. */
    List<String> hostNames() throws ConfigException {
        List<String> names = new ArrayList<>();
        for (ConfigNode item : sequence()) {
            names.add(item.parse("a host name", Values::allowedHost));
        }
        return names;
    }

    /** A non-empty scalar's text. */
    String string() throws ConfigException {
        String text = scalar("a string");
        if (text.isEmpty()) {
            throw error("must not be empty");
        }
        return text;
    }

    /** A scalar's text, which may be empty ({@code query: ""}). */
    String text() throws ConfigException {
        return scalar("a string");
    }

    boolean bool() throws ConfigException {
        String text = scalar("true or false");
        return switch (text) {
            case "true", "True", "TRUE" -> true;
            case "false", "False", "FALSE" -> false;
            default -> throw error("expected true or false, got " + Values.quote(text));
        };
    }

    /** A decimal integer in {@code min..max}. */
    int integer(int min, int max) throws ConfigException {
        String text = scalar("an integer");
        long value;
        try {
            if (!text.matches("-?[0-9]{1,18}")) {
                throw new NumberFormatException();
            }
            value = Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw error("expected an integer, got " + Values.quote(text));
        }
        if (value < min || value > max) {
            throw error(text + " is out of range (must be " + min + "-" + max + ")");
        }
        return (int) value;
    }

    Duration duration() throws ConfigException {
        return parse("a duration", Values::duration);
    }

    long size(long max) throws ConfigException {
        return parse("a size", text -> Values.size(text, max));
    }

    /** Applies a {@link Values} parser to this scalar, locating its error here. */
    <T> T parse(String expected, Function<String, T> parser) throws ConfigException {
        String text = scalar(expected);
        if (text.isEmpty()) {
            throw error("must not be empty");
        }
        try {
            return parser.apply(text);
        } catch (IllegalArgumentException e) {
            throw error(e.getMessage());
        }
    }

    private String scalar(String expected) throws ConfigException {
        if (!(node instanceof ScalarNode s) || isNull()) {
            throw mismatch(expected);
        }
        return s.getValue();
    }

    /** An explicit null ({@code key:} with nothing after it) reads "has no value", not "got null". */
    private ConfigException mismatch(String expected) {
        return isNull()
                ? error("has no value (expected " + expected + ")")
                : error("expected " + expected + ", got " + describe());
    }

    private boolean isNull() {
        return node instanceof ScalarNode s && s.isPlain() && Tag.NULL.equals(s.getTag());
    }

    private String describe() {
        if (node instanceof MappingNode) {
            return "a mapping";
        }
        if (node instanceof SequenceNode) {
            return "a list";
        }
        return Values.quote(((ScalarNode) node).getValue());
    }

    @Override
    public String toString() {
        return "ConfigNode[" + file + ":" + line() + " " + path + "]";
    }
}
