package io.livegate.simulator;

import io.livegate.core.ClusterView;
import io.livegate.core.NodeInfo;
import io.livegate.core.Role;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/** A cluster whose membership the test sets; listeners run on the context that registered them. */
final class FakeCluster implements ClusterView {
  private final String localId;
  private volatile List<NodeInfo> members;
  private volatile boolean inMajority = true;
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

  FakeCluster(String localId) {
    this.localId = localId;
    this.members = List.of(node(localId));
  }

  static NodeInfo node(String id) {
    return new NodeInfo(id, "127.0.0.1", 0, 0, Set.of(Role.SIMULATOR), System.currentTimeMillis());
  }

  void setMembers(List<NodeInfo> members) {
    this.members = new ArrayList<>(members);
    listeners.forEach(Runnable::run);
  }

  /** As on the minority side of a split (or back on the majority side): the listeners are told. */
  void setInMajority(boolean majority) {
    this.inMajority = majority;
    listeners.forEach(Runnable::run);
  }

  @Override public boolean inMajority() { return inMajority; }
  @Override public String localNodeId() { return localId; }
  @Override public List<NodeInfo> members() { return members; }

  @Override
  public Runnable onChange(Runnable listener) {
    Context context = Vertx.currentContext();
    Runnable onContext = () -> context.runOnContext(v -> listener.run());
    listeners.add(onContext);
    return () -> listeners.remove(onContext);
  }
}
