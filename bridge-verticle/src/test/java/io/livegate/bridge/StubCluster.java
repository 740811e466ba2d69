package io.livegate.bridge;

import io.livegate.core.ClusterView;
import io.livegate.core.NodeInfo;
import io.livegate.core.Role;
import java.util.List;
import java.util.Set;

/** A cluster of one member with a fixed id. */
final class StubCluster implements ClusterView {
  static final String NODE_ID = "node-under-test";

  @Override
  public String localNodeId() {
    return NODE_ID;
  }

  @Override
  public List<NodeInfo> members() {
    return List.of(new NodeInfo(NODE_ID, "127.0.0.1", 0, 0, Set.of(Role.BRIDGE), 0L));
  }

  @Override
  public Runnable onChange(Runnable listener) {
    return () -> {};
  }
}
