package io.kodiak.config;

import io.kodiak.htpasswd.HtpasswdUsers;

import java.nio.file.Path;

/**
 * A listener's or route's {@code basic-auth} section (nginx {@code auth_basic} +
 * {@code auth_basic_user_file}, HAProxy {@code userlist} + {@code http-request auth}, Traefik
 * {@code BasicAuth}). Equal by value, the file's users included, so that a reload that changed the
 * file rebuilds the filter and one that did not keeps it.
 *
 * @param realm             the realm of the {@code WWW-Authenticate} challenge
 * @param usersFile         the htpasswd file, absolute
 * @param users             its users as read with the configuration
 * @param passAuthorization whether the client's {@code Authorization} goes upstream (Traefik
 *                          {@code removeHeader: false}; nginx and HAProxy always pass it)
 * @param userHeader        a field that carries the user's name upstream (Traefik
 *                          {@code headerField}), or null; the client's own field of that name is
 *                          always replaced, so it cannot be forged
 */
public record BasicAuthConfig(String realm, Path usersFile, HtpasswdUsers users, boolean passAuthorization,
                              String userHeader) implements FeatureConfig {
}
