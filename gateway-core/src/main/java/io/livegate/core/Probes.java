package io.livegate.core;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.util.Set;
import java.util.function.Supplier;

/**
 * {@code GET /health}, {@code GET /ready} and {@code GET /metrics}, the same on whichever port of a node serves them
 * (the REST port; without the rest role the bridge port; without either, {@code --api-port} alone). A refusal is an
 * answer, not an event: nothing here logs. The node logs its own changes of state.
 */
public final class Probes {
  public static final String HEALTH = "/health";
  public static final String READY = "/ready";
  public static final String METRICS = "/metrics";
  public static final Set<String> PATHS = Set.of(HEALTH, READY, METRICS);
  static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

  private final Supplier<NodeState> state;
  private final Supplier<String> metrics;

  /**
   * @param state   where the node is now
   * @param metrics the node's meters in Prometheus's text format
   */
  public Probes(Supplier<NodeState> state, Supplier<String> metrics) {
    this.state = state;
    this.metrics = metrics;
  }

  /** Answers {@code request} if its path is one of {@link #PATHS}; false (untouched) otherwise. */
  public boolean answer(HttpServerRequest request) {
    String path = request.path();
    if (!PATHS.contains(path)) return false;
    HttpServerResponse response = request.response();
    if (request.method() != HttpMethod.GET && request.method() != HttpMethod.HEAD) {
      response.putHeader(HttpHeaders.ALLOW, "GET, HEAD");
      error(response, 405, "method " + request.method() + " is not allowed on " + path, null);
    } else if (path.equals(HEALTH)) {
      health(response);
    } else if (path.equals(READY)) {
      ready(response);
    } else {
      response.putHeader(HttpHeaders.CONTENT_TYPE, PROMETHEUS_TEXT).end(metrics.get());
    }
    return true;
  }

  /** 200 while the process serves: {@code {"status":"UP","state":"warming"}}. */
  public void health(HttpServerResponse response) {
    json(response, 200, new JsonObject().put("status", "UP").put("state", state.get().label()));
  }

  /**
   * 200 {@code {"status":"READY","state":"ready"}} when the node takes traffic; else 503 in the shape of every error,
   * with the state and its reason: {@code {"error":"not ready: the node is draining: ...","status":503,"state":"draining"}}.
   */
  public void ready(HttpServerResponse response) {
    NodeState now = state.get();
    if (now.isReady()) {
      json(response, 200, new JsonObject().put("status", "READY").put("state", now.label()));
    } else {
      response.putHeader("Retry-After", "1");
      error(response, 503, "not ready: " + now.reason(), now);
    }
  }

  private static void error(HttpServerResponse response, int status, String message, NodeState state) {
    JsonObject body = ErrorBody.of(status, message);
    if (state != null) body.put("state", state.label());
    json(response, status, body);
  }

  private static void json(HttpServerResponse response, int status, JsonObject body) {
    response.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, ErrorBody.JSON).end(body.encode());
  }
}
