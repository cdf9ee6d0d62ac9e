package io.kodiak.config;

import io.kodiak.io.BoundedFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads an {@code error-pages} section of a listener, route or pool:
 * <pre>
 * error-pages:
 *   "5xx": errors/50x.html                                  # a file: Content-Type from its extension
 *   "404": {file: errors/404.json, content-type: application/problem+json}
 *   intercept: true                                         # upstream errors too (not on pools)
 * </pre>
 * Files resolve against the configuration's directory and are read now, each at most
 * {@link PoolReader#MAX_ERROR_PAGE_BYTES}.
 */
final class ErrorPagesReader {
    private static final List<String> PAGE_KEYS = List.of("file", "content-type");
    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html; charset=utf-8", "htm", "text/html; charset=utf-8",
            "txt", "text/plain; charset=utf-8", "json", "application/json",
            "xml", "application/xml", "xhtml", "application/xhtml+xml");

    private ErrorPagesReader() {
    }

    /** A listener's or route's section. */
    static FeatureConfig read(ConfigNode node, Path baseDir) throws ConfigException {
        return read(node, baseDir, false);
    }

    /** @param pool a pool's section, which cannot intercept (a pool has no response filters) */
    static ErrorPagesConfig read(ConfigNode node, Path baseDir, boolean pool) throws ConfigException {
        ConfigMapping m = node.freeMapping();
        Map<String, ErrorPagesConfig.Page> pages = new LinkedHashMap<>();
        boolean intercept = false;
        for (String key : m.keys()) {
            ConfigNode value = m.get(key);
            if (key.equals("intercept")) {
                if (pool) {
                    throw m.keyError(key, "a pool's pages answer for Kodiak only: set intercept on the route or listener");
                }
                intercept = value.bool();
                continue;
            }
            if (!key.matches("[45]([0-9][0-9]|xx)")) {
                throw m.keyError(key, "expected a status 400-599, a class 4xx or 5xx, or intercept");
            }
            pages.put(key, page(value, baseDir));
        }
        if (pages.isEmpty()) {
            throw node.error("has no pages (give e.g. \"5xx\": errors/50x.html)");
        }
        return new ErrorPagesConfig(pages, intercept);
    }

    private static ErrorPagesConfig.Page page(ConfigNode node, Path baseDir) throws ConfigException {
        ConfigNode fileNode = node;
        String type = null;
        if (!node.isScalar()) {
            ConfigMapping m = node.mapping(PAGE_KEYS);
            fileNode = m.require("file");
            if (m.get("content-type") != null) {
                type = m.get("content-type").parse("a media type", Values::fieldValue);
            }
        }
        Path file = baseDir.resolve(fileNode.string()).normalize();
        byte[] body = readFile(fileNode, file); // first: "no such file" says more than "no type"
        if (type == null) {
            String name = file.getFileName().toString();
            int dot = name.lastIndexOf('.');
            type = dot < 0 ? null : TYPES.get(name.substring(dot + 1).toLowerCase(Locale.ROOT));
            if (type == null) {
                throw fileNode.error("cannot tell the Content-Type of " + name + " (give content-type, or name it .html, .txt, .json or .xml)");
            }
        }
        return new ErrorPagesConfig.Page(type, file, body);
    }

    /** Reads a page's file, refusing a directory, an unreadable file or one over the size bound. */
    static byte[] readFile(ConfigNode fileNode, Path file) throws ConfigException {
        try {
            try {
                return BoundedFile.readAll(file, PoolReader.MAX_ERROR_PAGE_BYTES);
            } catch (BoundedFile.TooLarge e) {
                throw fileNode.error(file + " is larger than " + PoolReader.MAX_ERROR_PAGE_BYTES + " bytes");
            }
        } catch (IOException e) {
            throw fileNode.error("cannot read " + file + ": " + ConfigLoader.reason(e));
        }
    }
}
