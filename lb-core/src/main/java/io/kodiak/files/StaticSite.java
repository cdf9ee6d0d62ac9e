package io.kodiak.files;

import io.kodiak.config.StaticConfig;
import io.kodiak.filter.FileAnswer;
import io.kodiak.filter.RequestContext;
import io.kodiak.filter.RequestFilter;
import io.kodiak.filter.RequestVariables;
import io.kodiak.http.FieldEdits;
import io.kodiak.http.HeaderFields;
import io.kodiak.http.RequestHead;
import io.kodiak.http.ResponseEncoder;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A route's {@code static} section at work: maps the request's path to a file under the root and
 * answers it, as nginx's {@code alias} plus its static module, or Caddy's {@code file_server}.
 * The route's {@code path-prefix} is taken off the normalised path and the rest, decoded segment
 * by segment ({@link SafePath}), names the file; a route without a prefix maps the whole path.
 *
 * <p>What it answers: GET and HEAD only (405 with {@code Allow}); a file with {@code Content-Type}
 * ({@link MimeTypes}), {@code Last-Modified}, nginx's {@code ETag}, {@code Accept-Ranges}; 304 on
 * {@code If-None-Match} (or, without it, {@code If-Modified-Since}); one byte range as 206,
 * honouring {@code If-Range}, an unsatisfiable one as 416 ({@link ByteRange}); a precompressed
 * sibling the client accepts ({@code .br}, {@code .gz}) with {@code Content-Encoding} and
 * {@code Vary}; a directory's index file, and a 301 to the slash form for a directory asked
 * without one (the query kept). Never a directory listing.
 *
 * <p>No way out of the root: names are refused before the file system sees them ({@link SafePath});
 * the file's real path (every symbolic link resolved) must lie under the root's unless
 * {@code follow-symlinks}; a segment starting with '.' in the request or in the real path is
 * refused by default ({@code dotfiles}); only regular files are opened (never a FIFO or a device).
 * Misses, refused names and file system errors (gone between the look-up and the open, a name too
 * long, a loop of links) are 404; an unreadable file is 403. With {@code fallback} a miss goes on
 * to the route's pool instead.
 *
 * <p><b>Threading.</b> Shared by the route's connections; stateless after construction. Runs on
 * the client's selector thread, where it stats and opens the file: that is what nginx does on its
 * event loop without {@code aio threads}, and costs microseconds when the metadata is cached (the
 * usual case for a site's static files); a cold look-up on a slow disk holds that selector's other
 * connections for one disk access.
 */
public final class StaticSite implements RequestFilter {
    private static final String TEXT = "text/plain; charset=utf-8";
    private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};

    private final StaticConfig config;
    /** The root's real path: what every served file's real path must start with. */
    private final Path root;

    public StaticSite(StaticConfig config) {
        this.config = config;
        Path r = config.root();
        try {
            r = r.toRealPath();
        } catch (IOException e) {
            // Gone since the configuration was read: every look-up misses under the path as written.
        }
        this.root = r;
    }

    /** A file found: its real path, attributes, and the name asked for (its type's source). */
    private record Found(Path path, BasicFileAttributes attrs, String name) {
    }

    /** Why there is no file: a status, and for 301 where to. */
    private record Miss(int status, String location) {
    }

    @Override
    public Verdict onRequest(RequestContext r) {
        RequestHead h = r.head();
        if (!h.isHead() && !h.method().equals("GET")) {
            if (config.fallback()) {
                return Verdict.CONTINUE;
            }
            r.respond(405, TEXT, body(405), new FieldEdits().add("Allow", "GET, HEAD"));
            return Verdict.RESPONDED;
        }
        String rest = below(h.path(), r.routePrefix());
        Object found = rest == null ? new Miss(404, null) : find(rest, h);
        if (found instanceof Miss m) {
            if (m.status == 404 && config.fallback()) {
                return Verdict.CONTINUE;
            }
            FieldEdits f = m.location == null ? null : new FieldEdits().add("Location", m.location);
            r.respond(m.status, TEXT, body(m.status), f);
            return Verdict.RESPONDED;
        }
        FileAnswer a = answer((Found) found, h);
        if (a == null) {
            if (config.fallback()) {
                return Verdict.CONTINUE;
            }
            r.respond(404, TEXT, body(404), null);
            return Verdict.RESPONDED;
        }
        r.respondFile(a);
        return Verdict.RESPONDED;
    }

    /** The path below the route's prefix, or null when the path is not below it ({@code /staticx} under {@code /static}). */
    static String below(String path, String prefix) {
        if (prefix == null) {
            return path;
        }
        if (!path.startsWith(prefix)) {
            return null;
        }
        String rest = path.substring(prefix.length());
        // nginx's alias trap: "location /static { alias /srv/static/; }" serves /static../x from
        // /srv/static/../x. Below a prefix without a trailing slash, only "" and "/..." are inside.
        if (!prefix.endsWith("/") && !rest.isEmpty() && rest.charAt(0) != '/') {
            return null;
        }
        return rest;
    }

    /** @return a {@link Found} or a {@link Miss} */
    private Object find(String rest, RequestHead h) {
        List<String> names = SafePath.names(rest);
        if (names == null) {
            return new Miss(404, null);
        }
        Miss dot = dotfiles(names);
        if (dot != null) {
            return dot;
        }
        try {
            Found at = resolve(root, names, null);
            Path real = at.path;
            Miss outside = check(real);
            if (outside != null) {
                return outside;
            }
            BasicFileAttributes a = at.attrs;
            boolean slash = h.path().endsWith("/");
            if (a.isDirectory()) {
                if (!slash) {
                    String query = RequestVariables.query(h.target());
                    return new Miss(301, h.path() + "/" + (query.isEmpty() ? "" : "?" + query));
                }
                for (String index : config.index()) {
                    Found f = regular(real, index, index);
                    if (f != null) {
                        return f;
                    }
                }
                return new Miss(404, null); // no listings
            }
            if (slash || !a.isRegularFile()) {
                return new Miss(404, null);
            }
            return new Found(real, a, names.get(names.size() - 1)); // the name asked for gives the type
        } catch (AccessDeniedException e) {
            return new Miss(403, null);
        } catch (IOException | InvalidPathException | SecurityException e) {
            // No such file, not a directory on the way, a name too long, a loop of links: a miss.
            return new Miss(404, null);
        }
    }

    /**
     * {@code dir/names...} (dir a real path) with its real path and attributes. Each name is
     * lstat'ed on the way down, and only when one is a symbolic link is the whole path resolved
     * (realpath): a plain path costs one system call per name instead of realpath's two per
     * component from '/' and then a stat.
     */
    private static Found resolve(Path dir, List<String> names, String name) throws IOException {
        Path p = dir;
        BasicFileAttributes a = null;
        for (String n : names) {
            p = p.resolve(n);
            a = Files.readAttributes(p, BasicFileAttributes.class, NOFOLLOW);
            if (a.isSymbolicLink()) {
                Path real = dir;
                for (String m : names) {
                    real = real.resolve(m);
                }
                real = real.toRealPath();
                return new Found(real, Files.readAttributes(real, BasicFileAttributes.class, NOFOLLOW), name);
            }
        }
        return new Found(p, a != null ? a : Files.readAttributes(p, BasicFileAttributes.class, NOFOLLOW), name);
    }

    /** {@code dir/file} ({@code dir} a real path) if it is a regular file allowed here; null otherwise. */
    private Found regular(Path dir, String file, String name) {
        try {
            Found f = resolve(dir, List.of(file), name);
            return check(f.path) == null && f.attrs.isRegularFile() ? f : null;
        } catch (IOException | InvalidPathException | SecurityException e) {
            return null;
        }
    }

    /** Null if {@code real} may be served; otherwise why not (outside the root, or a dotfile reached by a link). */
    private Miss check(Path real) {
        if (!real.startsWith(root)) {
            return config.followSymlinks() ? null : new Miss(404, null);
        }
        List<String> names = new ArrayList<>();
        for (Path n : root.relativize(real)) {
            names.add(n.toString());
        }
        return dotfiles(names);
    }

    private Miss dotfiles(List<String> names) {
        if (config.dotfiles() == StaticConfig.Dotfiles.ALLOW) {
            return null;
        }
        for (String n : names) {
            if (n.startsWith(".")) {
                return new Miss(config.dotfiles() == StaticConfig.Dotfiles.DENY ? 403 : 404, null);
            }
        }
        return null;
    }

    /** The answer for a file found, its file opened if a body is sent; null if it vanished meanwhile. */
    private FileAnswer answer(Found found, RequestHead h) {
        HeaderFields fields = h.fields();
        boolean vary = !config.precompressed().isEmpty();
        String encoding = null;
        Found send = found;
        if (vary) {
            String accept = joined(fields, "accept-encoding");
            for (String e : preferred(accept)) {
                Found sibling = regular(found.path.getParent(), found.path.getFileName() + suffix(e), found.name);
                if (sibling != null) {
                    encoding = e;
                    send = sibling;
                    break;
                }
            }
        }
        long mtime = send.attrs.lastModifiedTime().to(TimeUnit.SECONDS);
        long size = send.attrs.size();
        String etag = Validators.etag(mtime, size);
        String modified = Validators.httpDate(mtime);
        StringBuilder f = new StringBuilder(256);
        String inm = joined(fields, "if-none-match");
        String ims = fields.get("if-modified-since");
        if (inm != null ? Validators.noneMatchFails(inm, etag) : ims != null && Validators.notModifiedSince(ims, mtime)) {
            line(f, "Last-Modified", modified);
            line(f, "ETag", etag);
            if (vary) {
                line(f, "Vary", "Accept-Encoding");
            }
            return new FileAnswer(304, f.toString(), null, 0, 0);
        }
        ByteRange range = ByteRange.WHOLE;
        String rangeField = fields.get("range");
        if (rangeField != null && !h.isHead()) { // RFC 9110 §14.2: range handling is GET's only
            String ifRange = fields.get("if-range");
            if (ifRange == null || Validators.ifRangeHolds(ifRange, etag, mtime)) {
                range = ByteRange.parse(rangeField, size);
            }
        }
        if (range.kind() == ByteRange.Kind.UNSATISFIABLE) {
            line(f, "Content-Range", "bytes */" + size);
            line(f, "Content-Length", "0");
            return new FileAnswer(416, f.toString(), null, 0, 0);
        }
        boolean partial = range.kind() == ByteRange.Kind.PARTIAL;
        long offset = partial ? range.first() : 0;
        long length = partial ? range.count() : size;
        line(f, "Content-Type", MimeTypes.of(found.name));
        line(f, "Content-Length", Long.toString(length));
        line(f, "Last-Modified", modified);
        line(f, "ETag", etag);
        line(f, "Accept-Ranges", "bytes");
        if (encoding != null) {
            line(f, "Content-Encoding", encoding);
        }
        if (vary) {
            line(f, "Vary", "Accept-Encoding");
        }
        if (partial) {
            line(f, "Content-Range", "bytes " + range.first() + "-" + range.last() + "/" + size);
        }
        FileChannel channel = null;
        if (!h.isHead() && length > 0) {
            try {
                channel = FileChannel.open(send.path, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
            } catch (IOException | SecurityException e) {
                return null; // replaced or removed since the look-up
            }
        }
        return new FileAnswer(partial ? 206 : 200, f.toString(), channel, offset, length);
    }

    /** The route's encodings the client accepts, best first (higher q; equal q in the route's order). */
    private List<String> preferred(String accept) {
        List<String> out = new ArrayList<>();
        if (accept == null) {
            return out;
        }
        List<String> left = new ArrayList<>(config.precompressed());
        while (!left.isEmpty()) {
            String best = AcceptEncoding.choose(accept, left);
            if (best == null) {
                break;
            }
            out.add(best);
            left.remove(best);
        }
        return out;
    }

    private static String suffix(String encoding) {
        return encoding.equals("gzip") ? ".gz" : "." + encoding;
    }

    /** Every field of that name, joined with ", " (a list may come in several fields); null if none. */
    private static String joined(HeaderFields fields, String lowerName) {
        int i = fields.indexOf(lowerName, 0);
        if (i < 0) {
            return null;
        }
        String v = fields.value(i);
        for (i = fields.indexOf(lowerName, i + 1); i >= 0; i = fields.indexOf(lowerName, i + 1)) {
            v = v + ", " + fields.value(i);
        }
        return v;
    }

    private static void line(StringBuilder f, String name, String value) {
        f.append(name).append(": ").append(value).append("\r\n");
    }

    private static byte[] body(int status) {
        return (status + " " + ResponseEncoder.reason(status) + "\n").getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public String toString() {
        return "StaticSite[" + root + "]";
    }
}
