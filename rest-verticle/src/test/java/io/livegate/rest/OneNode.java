package io.livegate.rest;

import io.livegate.core.ClusterView;
import io.livegate.core.NodeInfo;
import java.util.List;

/** The cluster of a REST API tested on its own: this node alone, whose membership never changes. */
final class OneNode implements ClusterView {
  @Override
  public String localNodeId() {
    return "self";
  }

  @Override
  public List<NodeInfo> members() {
    return List.of();
  }

  @Override
  public Runnable onChange(Runnable listener) {
    return () -> { };
  }
}
