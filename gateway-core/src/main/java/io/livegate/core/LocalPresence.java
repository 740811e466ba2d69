package io.livegate.core;

import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;

/** Presence on one node alone (a bridge without a cluster, its tests): its copy is all there is. */
public final class LocalPresence extends ViewedPresence {
  private static final String NODE = "local";

  public LocalPresence(EventBus eventBus, NodeConfig.PresenceSettings settings) {
    super(eventBus, settings);
  }

  @Override
  public Future<Void> join(String address, Member member) {
    PresenceView.Held entry = new PresenceView.Held(address, member, NODE);
    own.put(key(address, member.id()), entry);
    view.arrived(entry);
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> leave(String address, String id) {
    own.remove(key(address, id));
    view.left(address, id);
    return Future.succeededFuture();
  }
}
