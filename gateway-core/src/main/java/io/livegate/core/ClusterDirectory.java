package io.livegate.core;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;

/**
 * The cluster's nodes as {@code GET /api/cluster/nodes} lists them: every member, oldest first, with its open bridge
 * connections, drain and state asked of each node at once ({@link Addresses#nodeStatus}). The dashboard's cluster
 * panel reads the same list without the addresses ({@link #describe(boolean)}).
 */
public final class ClusterDirectory {
  /** How long the list waits for each node's status before listing it without. */
  public static final long NODE_STATUS_TIMEOUT_MS = 1000;

  private final Vertx vertx;
  private final ClusterView cluster;

  public ClusterDirectory(Vertx vertx, ClusterView cluster) {
    this.vertx = vertx;
    this.cluster = cluster;
  }

  /** @param withAddresses whether each entry names the node's host and ports (the REST API), or not (a page) */
  public Future<JsonArray> describe(boolean withAddresses) {
    List<Future<JsonObject>> nodes = cluster.members().stream().map(node -> describe(node, withAddresses)).toList();
    return Future.all(nodes).map(all -> new JsonArray(nodes.stream().map(Future::result).toList()));
  }

  private Future<JsonObject> describe(NodeInfo node, boolean withAddresses) {
    return statusOf(node.id()).map(status -> {
      JsonObject entry = new JsonObject().put("id", node.id());
      if (withAddresses) {
        entry.put("host", node.host())
            .put("name", node.name())
            .put("bridgePort", portOrNull(node.bridgePort()))
            .put("apiPort", portOrNull(node.apiPort()))
            .put("managementPort", portOrNull(node.managementPort()));
      } else {
        entry.put("name", node.name());
      }
      return entry
          .put("roles", new JsonArray(node.roles().stream().sorted().map(Role::label).toList()))
          .put("connections", connectionsIn(status))
          .put("draining", status == null ? null : status.getBoolean("draining", false))
          .put("state", status == null ? null : status.getString("state"))
          // A member that is not a livegate node (a backend service) says not when it started: null.
          .put("startedAt", node.startedAt() > 0 ? Instant.ofEpochMilli(node.startedAt()).toString() : null)
          .put("uptimeMs", node.startedAt() > 0 ? Math.max(0, System.currentTimeMillis() - node.startedAt()) : null)
          .put("self", node.id().equals(cluster.localNodeId()));
    });
  }

  /** The node's status ({@code connections}, {@code draining}, {@code state}), or null when it does not answer in time. */
  private Future<JsonObject> statusOf(String nodeId) {
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(NODE_STATUS_TIMEOUT_MS);
    return vertx.eventBus().<Object>request(Addresses.nodeStatus(nodeId), null, options)
        .map(reply -> reply.body() instanceof JsonObject json ? json : null)
        .otherwise((JsonObject) null);
  }

  /** A port the node does not listen on (it has not the role) is null: the list names only ports that answer. */
  private static Integer portOrNull(int port) {
    return port > 0 ? port : null;
  }

  private static Long connectionsIn(JsonObject status) {
    return status != null && status.getValue("connections") instanceof Number n ? n.longValue() : null;
  }
}
