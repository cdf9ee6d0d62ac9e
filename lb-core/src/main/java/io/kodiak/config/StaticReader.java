package io.kodiak.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads a route's {@code static} section: {@code static: DIR}, or a mapping with {@code root},
 * {@code index}, {@code precompressed}, {@code follow-symlinks}, {@code dotfiles} and
 * {@code fallback}. The root must be a directory when the configuration is read, so a typo fails
 * the start (or the reload), not every request.
 */
final class StaticReader {
    private static final List<String> KEYS = List.of("root", "index", "precompressed", "follow-symlinks", "dotfiles",
            "fallback");
    /** Encodings with a sibling suffix; their order here is the tie-break between equal client preferences. */
    static final List<String> ENCODINGS = List.of("br", "gzip");

    private StaticReader() {
    }

    static StaticConfig read(ConfigNode node, Path baseDir) throws ConfigException {
        if (node.isScalar()) {
            return new StaticConfig(root(node, baseDir), List.of("index.html"), List.of(), false,
                    StaticConfig.Dotfiles.DENY, false);
        }
        ConfigMapping m = node.mapping(KEYS);
        Path root = root(m.require("root"), baseDir);
        List<String> index = m.get("index") == null ? List.of("index.html") : index(m.get("index"));
        List<String> pre = m.get("precompressed") == null ? List.of() : encodings(m.get("precompressed"));
        boolean follow = m.get("follow-symlinks") != null && m.get("follow-symlinks").bool();
        StaticConfig.Dotfiles dot = StaticConfig.Dotfiles.DENY;
        if (m.get("dotfiles") != null) {
            ConfigNode d = m.get("dotfiles");
            dot = switch (d.string()) {
                case "deny" -> StaticConfig.Dotfiles.DENY;
                case "ignore" -> StaticConfig.Dotfiles.IGNORE;
                case "allow" -> StaticConfig.Dotfiles.ALLOW;
                default -> throw d.error("must be deny, ignore or allow, got \"" + d.string() + "\"");
            };
        }
        boolean fallback = m.get("fallback") != null && m.get("fallback").bool();
        return new StaticConfig(root, index, pre, follow, dot, fallback);
    }

    private static Path root(ConfigNode n, Path baseDir) throws ConfigException {
        String text = n.string();
        if (text.isBlank()) {
            throw n.error("must name a directory");
        }
        Path p;
        try {
            p = baseDir.resolve(text).toAbsolutePath().normalize();
        } catch (java.nio.file.InvalidPathException e) {
            throw n.error("not a path: " + e.getMessage());
        }
        if (!Files.isDirectory(p)) {
            throw n.error(p + " is not a directory");
        }
        return p;
    }

    /** {@code index.html}, a list of names, or {@code none} (also {@code []}). */
    private static List<String> index(ConfigNode n) throws ConfigException {
        List<ConfigNode> items = n.isScalar() ? List.of(n) : n.sequence();
        List<String> names = new ArrayList<>();
        for (ConfigNode item : items) {
            String name = item.string();
            if (name.equals("none") && n.isScalar()) {
                return List.of();
            }
            if (name.isEmpty() || name.equals(".") || name.equals("..") || name.indexOf('/') >= 0
                    || name.indexOf('\\') >= 0 || name.indexOf('\0') >= 0) {
                throw item.error("an index is a file name in the directory, without '/', got \"" + name + "\"");
            }
            names.add(name);
        }
        return List.copyOf(names);
    }

    private static List<String> encodings(ConfigNode n) throws ConfigException {
        List<ConfigNode> items = n.isScalar() ? List.of(n) : n.sequence();
        List<String> out = new ArrayList<>();
        for (ConfigNode item : items) {
            String e = item.string().toLowerCase(Locale.ROOT);
            if (!ENCODINGS.contains(e)) {
                throw item.error("must be br or gzip, got \"" + item.string() + "\"");
            }
            if (out.contains(e)) {
                throw item.error(e + " is listed twice");
            }
            out.add(e);
        }
        return List.copyOf(out);
    }
}
