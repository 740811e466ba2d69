package io.livegate.launcher;

import io.livegate.core.ErrorBody;
import io.livegate.core.HttpGuard;
import io.livegate.core.NodeConfig;
import io.livegate.core.Probes;
import io.livegate.core.ServerTls;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.util.logging.Logger;

/**
 * The port of a node with neither the bridge nor the rest role (a simulator alone): {@code /health}, {@code /ready}
 * and {@code /metrics} on {@code --api-port}, and nothing else. Nodes with either role serve them on that role's port.
 */
final class ManagementVerticle extends VerticleBase {
  private static final Logger LOG = Logger.getLogger(ManagementVerticle.class.getName());

  private final NodeConfig config;
  private final Probes probes;
  private final MeterRegistry registry;

  ManagementVerticle(NodeConfig config, Probes probes, MeterRegistry registry) {
    this.config = config;
    this.probes = probes;
    this.registry = registry;
  }

  @Override
  public Future<?> start() {
    HttpServer server = vertx.createHttpServer(ServerTls.apply(new HttpServerOptions().setHttp2ClearTextEnabled(false),
        config.security()));
    HttpGuard guard = new HttpGuard(vertx, "management", config.http(), config.http().descriptorReserve() / 4, registry,
        ErrorBody::guardAnswer);
    return server.requestHandler(guard.guard(server, this::answer)).listen(config.apiPort(), config.httpHost())
        .onSuccess(listening -> LOG.info("management port " + config.httpHost() + ":" + listening.actualPort()
            + ": /health, /ready, /metrics (this node has neither the bridge nor the rest role)"));
  }

  private void answer(HttpServerRequest request) {
    if (probes.answer(request)) return;
    ErrorBody.answer(request.response(), 404, "nothing here: this port serves only /health, /ready and /metrics");
  }
}
