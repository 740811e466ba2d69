package io.livegate.bridge;

import static io.livegate.testing.Await.await;

import io.livegate.core.ClusterView;
import io.livegate.core.NodeConfig;
import io.livegate.core.NodeSettings;
import io.livegate.core.Role;
import io.livegate.testing.BridgeClient;
import io.livegate.testing.SettableCluster;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** Starts a non-clustered Vert.x with a bridge on a free loopback port; closes every client and Vert.x. */
abstract class BridgeTestBase {
  protected Vertx vertx;
  protected BridgeVerticle bridge;
  protected SimpleMeterRegistry registry;
  protected int port;
  private final List<BridgeClient> clients = new ArrayList<>();

  /** The id of the one member of the cluster the bridge under test sees. */
  static final String NODE_ID = "node-under-test";

  /** The cluster of a bridge tested on its own: its node alone. */
  static ClusterView oneNode() {
    return new SettableCluster(NODE_ID, Role.BRIDGE);
  }

  /** The defaults of the contract, on loopback, any free port, short reply timeout. */
  static NodeConfig testConfig() {
    return withPermitted(NodeConfig.defaults().inboundPermitted(), NodeConfig.defaults().outboundPermitted());
  }

  /** The test defaults with more flags, given as a user gives them. */
  static NodeConfig testConfig(String... flags) {
    return withPermitted(NodeConfig.defaults().inboundPermitted(), NodeConfig.defaults().outboundPermitted(), flags);
  }

  static NodeConfig withPermitted(List<String> inbound, List<String> outbound, String... flags) {
    List<String> all = new ArrayList<>(List.of("--bridge-inbound", String.join(",", inbound),
        "--bridge-outbound", String.join(",", outbound), "--send-timeout-ms", "2000"));
    all.addAll(List.of(flags));
    return NodeSettings.parse(all.toArray(String[]::new), Map.of()).config().withListening("127.0.0.1", 0, 0);
  }

  /** The flags of these bridge limits, and {@code more}. */
  static String[] limitFlags(NodeConfig.BridgeLimits limits, String... more) {
    List<String> all = new ArrayList<>(List.of("--max-registrations", String.valueOf(limits.maxRegistrations()),
        "--max-frames-per-second", String.valueOf(limits.maxFramesPerSecond()),
        "--max-connections", String.valueOf(limits.maxConnections()),
        "--max-registrations-per-second", String.valueOf(limits.maxRegistrationsPerSecond()),
        "--max-addresses", String.valueOf(limits.maxAddresses())));
    all.addAll(List.of(more));
    return all.toArray(String[]::new);
  }

  @BeforeEach
  void startBridge() {
    vertx = Vertx.vertx();
    registry = new SimpleMeterRegistry();
    bridge = new BridgeVerticle(testConfig(), oneNode(), registry);
    await(vertx.deployVerticle(bridge));
    port = bridge.port();
  }

  @AfterEach
  void closeEverything() {
    clients.forEach(BridgeClient::close);
    await(vertx.close());
  }

  /** Deploys one more bridge, with its own configuration, on the same Vert.x; returns its port. */
  protected int startAnotherBridge(NodeConfig config) {
    return startAnotherBridge(config, new SimpleMeterRegistry()).port();
  }

  protected BridgeVerticle startAnotherBridge(NodeConfig config, SimpleMeterRegistry meters) {
    BridgeVerticle other = new BridgeVerticle(config, oneNode(), meters);
    await(vertx.deployVerticle(other));
    return other;
  }

  protected BridgeClient connect() {
    return connect(port);
  }

  protected BridgeClient connect(int bridgePort) {
    BridgeClient client = BridgeClient.connect(vertx, bridgePort);
    clients.add(client);
    return client;
  }
}
