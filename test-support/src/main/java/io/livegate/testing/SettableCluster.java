package io.livegate.testing;

import io.livegate.core.ClusterView;
import io.livegate.core.NodeInfo;
import io.livegate.core.Role;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The cluster of a role tested on its own: this node, and whatever membership the test sets (by default this node
 * alone). Listeners run on the context that registered them, as the real view's do.
 */
public final class SettableCluster implements ClusterView {
  private final String localId;
  private final Set<Role> roles;
  private volatile List<NodeInfo> members;
  private volatile boolean inMajority = true;
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

  /** This node alone, with {@code roles}. */
  public SettableCluster(String localId, Role... roles) {
    this.localId = localId;
    this.roles = Set.of(roles);
    this.members = List.of(node(localId));
  }

  /** A member with this cluster's roles, started now. */
  public NodeInfo node(String id) {
    return member(id, roles.toArray(Role[]::new));
  }

  /** A member with {@code roles}, started now. */
  public static NodeInfo member(String id, Role... roles) {
    return new NodeInfo(id, "127.0.0.1", 0, 0, Set.of(roles), System.currentTimeMillis());
  }

  /** The members from now on, oldest first; the listeners are told. */
  public SettableCluster setMembers(List<NodeInfo> newMembers) {
    this.members = new ArrayList<>(newMembers);
    listeners.forEach(Runnable::run);
    return this;
  }

  /** As on the minority side of a split (or back on the majority side): the listeners are told. */
  public void setInMajority(boolean majority) {
    this.inMajority = majority;
    listeners.forEach(Runnable::run);
  }

  @Override
  public boolean inMajority() {
    return inMajority;
  }

  @Override
  public String localNodeId() {
    return localId;
  }

  @Override
  public List<NodeInfo> members() {
    return members;
  }

  @Override
  public Runnable onChange(Runnable listener) {
    Context context = Vertx.currentContext();
    Runnable onContext = () -> {
      if (context == null) listener.run(); else context.runOnContext(v -> listener.run());
    };
    listeners.add(onContext);
    return () -> listeners.remove(onContext);
  }
}
