package io.kodiak.config;

import java.nio.file.Path;
import java.util.List;

/**
 * A route's {@code static} section: the route answers from the files under {@code root} (nginx
 * {@code alias} with {@code try_files}, Caddy {@code file_server}). What the request's path maps
 * to, and what is refused, is {@code io.kodiak.files.StaticSite}'s.
 *
 * @param root           the directory served, absolute (read relative to the configuration's directory)
 * @param index          names tried, in order, for a path ending in '/'; empty for none
 * @param precompressed  encodings whose sibling files ({@code app.js.br}, {@code app.js.gz}) may be
 *                       served instead, in order of preference: {@code br}, {@code gzip}
 * @param followSymlinks whether a symbolic link may lead out of {@code root}
 * @param dotfiles       what becomes of a path with a segment starting with '.'
 * @param fallback       whether a miss (no such file, a method other than GET and HEAD) goes on to
 *                       the route's pool instead of being answered 404 or 405 (nginx
 *                       {@code try_files $uri @app})
 */
public record StaticConfig(Path root, List<String> index, List<String> precompressed, boolean followSymlinks,
                           Dotfiles dotfiles, boolean fallback) implements FeatureConfig {
    /** nginx has no switch for this (users add {@code location ~ /\. { deny all; }}); Caddy {@code hide}. */
    public enum Dotfiles {
        /** 403, as nginx's usual {@code deny all}. */
        DENY,
        /** As if absent: 404, or the pool with {@code fallback}. */
        IGNORE,
        /** Served like any other file. */
        ALLOW
    }

    public StaticConfig {
        index = List.copyOf(index);
        precompressed = List.copyOf(precompressed);
    }
}
