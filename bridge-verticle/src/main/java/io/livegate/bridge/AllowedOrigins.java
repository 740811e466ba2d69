package io.livegate.bridge;

import io.vertx.core.http.HttpServerRequest;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which web pages may open a bridge connection, by their {@code Origin}: the bridge's own (the dashboard), the
 * configured ones, or any ({@code *}). A client without an Origin header is not a browser page (a service, a
 * load generator) and is let in: the Origin check protects users' browsers from other sites, nothing more.
 */
final class AllowedOrigins {
  private final boolean any;
  private final Set<String> origins;

  AllowedOrigins(List<String> configured) {
    this.any = configured.contains("*");
    this.origins = configured.stream().map(AllowedOrigins::normalize).collect(Collectors.toUnmodifiableSet());
  }

  boolean allows(HttpServerRequest request) {
    String origin = request.getHeader("Origin");
    if (origin == null || any) return true;
    String normalized = normalize(origin);
    return origins.contains(normalized) || normalized.equals(ownOrigin(request));
  }

  @Override
  public String toString() {
    return any ? "any origin" : origins.isEmpty() ? "same origin" : "same origin and " + origins;
  }

  /** The bridge's own origin as the browser names it: the scheme of this connection and the Host it asked for. */
  private static String ownOrigin(HttpServerRequest request) {
    String host = request.getHeader("Host");
    return host == null ? null : normalize((request.isSSL() ? "https://" : "http://") + host);
  }

  /** scheme://host[:port], lower case, without a default port or a trailing slash; "null" and junk stay unmatched. */
  private static String normalize(String origin) {
    try {
      URI uri = new URI(origin.trim().toLowerCase(Locale.ROOT));
      if (uri.getScheme() == null || uri.getHost() == null) return "!" + origin;
      int port = uri.getPort();
      boolean defaultPort = port == -1 || (port == 80 && uri.getScheme().equals("http"))
          || (port == 443 && uri.getScheme().equals("https"));
      return uri.getScheme() + "://" + uri.getHost() + (defaultPort ? "" : ":" + port);
    } catch (Exception e) {
      return "!" + origin;
    }
  }
}
