package io.livegate.core;

import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;

/** HTTPS and WSS on a node's HTTP ports (bridge and REST alike), from the PEM files of the configuration. */
public final class ServerTls {

  /** The options with TLS on when the configuration names a certificate and key; as they were otherwise. */
  public static HttpServerOptions apply(HttpServerOptions options, NodeConfig.Security security) {
    if (!security.tls()) return options;
    return options.setSsl(true)
        .setKeyCertOptions(new PemKeyCertOptions().setCertPath(security.tlsCert()).setKeyPath(security.tlsKey()));
  }

  private ServerTls() {}
}
