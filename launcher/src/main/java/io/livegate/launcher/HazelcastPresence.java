package io.livegate.launcher;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceNotActiveException;
import com.hazelcast.core.HazelcastJsonValue;
import com.hazelcast.core.LifecycleEvent;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryEvictedListener;
import com.hazelcast.map.listener.EntryExpiredListener;
import com.hazelcast.map.listener.EntryMergedListener;
import com.hazelcast.map.listener.EntryRemovedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import com.hazelcast.query.Predicates;
import io.livegate.core.Addresses;
import io.livegate.core.NodeConfig;
import io.livegate.core.PresenceView;
import io.livegate.core.ViewedPresence;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Presence kept in the cluster: one entry per connection and address in a Hazelcast map ({@link Addresses#PRESENCE_MAP},
 * one backup), keyed {@code <id>@<address>}, valued as JSON ({@code address}, the member, the {@code node} that holds
 * the connection). Every node listens to the whole map and keeps a copy ({@link PresenceView}), from which it answers
 * lists and announces joins and leaves to its own listeners.
 *
 * <p>A member that leaves the cluster takes its entries with it: every node drops them from its copy as soon as the
 * membership says so (kill -9: well under a second; a hung member: the heartbeat timeout), and the oldest member
 * removes them from the map. After a split heals, each node puts its own entries back, removes its own that it no
 * longer holds, and makes its copy what the map holds; the oldest removes entries of nodes no longer members.
 */
final class HazelcastPresence extends ViewedPresence {
  private static final Logger LOG = Logger.getLogger(HazelcastPresence.class.getName());
  private static final String NODE = "node";
  private static final String ADDRESS = "address";

  private final Vertx vertx;
  private final HazelcastInstance hazelcast;
  private final IMap<String, HazelcastJsonValue> map;
  private final PresenceWrites writes;
  private final UUID entryListener;
  private final UUID membershipListener;
  private final UUID lifecycleListener;
  /** Events that arrived while the copy was first loaded, applied after it in order; null once loaded. */
  private List<EntryEvent<String, HazelcastJsonValue>> early = new ArrayList<>();

  HazelcastPresence(Vertx vertx, HazelcastInstance hazelcast, NodeConfig.PresenceSettings settings) {
    super(vertx.eventBus(), settings);
    this.vertx = vertx;
    this.hazelcast = hazelcast;
    this.map = hazelcast.getMap(Addresses.PRESENCE_MAP);
    this.writes = new PresenceWrites(map, hazelcast.getPartitionService());
    this.entryListener = map.addEntryListener(new Changes(), true);
    load();
    this.membershipListener = hazelcast.getCluster().addMembershipListener(new MembershipListener() {
      @Override public void memberAdded(MembershipEvent event) {
      }
      @Override public void memberRemoved(MembershipEvent event) {
        String gone = event.getMember().getUuid().toString();
        view.leftNode(gone);
        if (isOldest()) onWorker(() -> map.removeAll(Predicates.equal(NODE, gone)), "remove the entries of " + gone);
      }
    });
    this.lifecycleListener = hazelcast.getLifecycleService().addLifecycleListener(event -> {
      if (event.getState() == LifecycleEvent.LifecycleState.MERGED) onWorker(this::afterMerge, "restore after a merge");
    });
  }

  @Override
  public Future<Void> join(String address, Member member) {
    String key = key(address, member.id());
    PresenceView.Held entry = new PresenceView.Held(address, member, localNode());
    own.put(key, entry);
    return writes.put(key, value(entry));
  }

  @Override
  public Future<Void> leave(String address, String id) {
    String key = key(address, id);
    own.remove(key);
    return writes.remove(key);
  }

  /** Batches of this node's changes sent to the cluster's map. */
  long batches() {
    return writes.batches();
  }

  /** Stops listening; this node's entries go as its browsers close, or with its membership. */
  void close() {
    if (!hazelcast.getLifecycleService().isRunning()) return; // left the cluster already (a drain): nothing to stop
    try {
      map.removeEntryListener(entryListener);
      hazelcast.getCluster().removeMembershipListener(membershipListener);
      hazelcast.getLifecycleService().removeLifecycleListener(lifecycleListener);
    } catch (HazelcastInstanceNotActiveException stopped) {
      // it stopped meanwhile: its listeners went with it
    }
  }

  /** Fills the copy from the map; the events that came meanwhile follow, in order. */
  private void load() {
    List<PresenceView.Held> now = heldInMap();
    List<EntryEvent<String, HazelcastJsonValue>> meanwhile;
    synchronized (this) {
      for (PresenceView.Held entry : now) view.arrived(entry);
      meanwhile = early;
      early = null;
      for (EntryEvent<String, HazelcastJsonValue> event : meanwhile) apply(event);
    }
  }

  private List<PresenceView.Held> heldInMap() {
    List<PresenceView.Held> held = new ArrayList<>();
    for (HazelcastJsonValue value : map.values()) {
      PresenceView.Held entry = held(value);
      if (entry != null) held.add(entry);
    }
    return held;
  }

  /**
   * A split healed: the merged map may have lost this node's entries (the other side removed them when it lost sight
   * of this node) or kept some it has since let go. Put back, removed, and the copy made what the map holds.
   */
  private void afterMerge() {
    // A member that merges may come back under a new id: its entries are put back under the one it has now.
    String node = localNode();
    Map<String, HazelcastJsonValue> mine = new HashMap<>();
    for (Map.Entry<String, PresenceView.Held> entry : own.entrySet()) {
      PresenceView.Held held = entry.getValue();
      mine.put(entry.getKey(), value(new PresenceView.Held(held.address(), held.member(), node)));
    }
    map.putAll(mine);
    map.removeAll(mine.isEmpty() ? Predicates.equal(NODE, node) : Predicates.and(Predicates.equal(NODE, node),
        Predicates.not(Predicates.in("__key", mine.keySet().toArray(new String[0])))));
    List<String> members = new ArrayList<>();
    for (com.hazelcast.cluster.Member member : hazelcast.getCluster().getMembers()) members.add(member.getUuid().toString());
    map.removeAll(Predicates.not(Predicates.in(NODE, members.toArray(new String[0]))));
    view.replaceWith(heldInMap());
  }

  private String localNode() {
    return hazelcast.getCluster().getLocalMember().getUuid().toString();
  }

  private static HazelcastJsonValue value(PresenceView.Held entry) {
    return new HazelcastJsonValue(new JsonObject().put(ADDRESS, entry.address()).put("member", entry.member().toJson())
        .put(NODE, entry.node()).encode());
  }

  private boolean isOldest() {
    return hazelcast.getCluster().getMembers().iterator().next().localMember();
  }

  private void onWorker(Runnable task, String what) {
    vertx.executeBlocking(() -> {
      task.run();
      return null;
    }, false).onFailure(e -> LOG.log(Level.FINE, "Presence: could not " + what + ": " + e));
  }

  private void apply(EntryEvent<String, HazelcastJsonValue> event) {
    switch (event.getEventType()) {
      case ADDED, UPDATED, MERGED -> {
        PresenceView.Held entry = held(event.getValue());
        if (entry != null) view.arrived(entry);
      }
      case REMOVED, EVICTED, EXPIRED -> {
        String key = event.getKey();
        int at = key.indexOf('@');
        if (at > 0) view.left(key.substring(at + 1), key.substring(0, at));
      }
      default -> { }
    }
  }

  private static PresenceView.Held held(HazelcastJsonValue value) {
    try {
      JsonObject json = new JsonObject(value.getValue());
      return new PresenceView.Held(json.getString(ADDRESS), Member.fromJson(json.getJsonObject("member")),
          json.getString(NODE));
    } catch (RuntimeException e) {
      LOG.fine(() -> "Presence: an entry that is not ours is ignored: " + e);
      return null;
    }
  }

  /** The map's events, from Hazelcast's event threads (one key's in order). */
  private final class Changes implements EntryAddedListener<String, HazelcastJsonValue>,
      EntryUpdatedListener<String, HazelcastJsonValue>, EntryRemovedListener<String, HazelcastJsonValue>,
      EntryEvictedListener<String, HazelcastJsonValue>, EntryExpiredListener<String, HazelcastJsonValue>,
      EntryMergedListener<String, HazelcastJsonValue> {
    private void on(EntryEvent<String, HazelcastJsonValue> event) {
      synchronized (HazelcastPresence.this) {
        if (early != null) {
          early.add(event);
          return;
        }
      }
      apply(event);
    }

    @Override public void entryAdded(EntryEvent<String, HazelcastJsonValue> event) {
      on(event);
    }

    @Override public void entryUpdated(EntryEvent<String, HazelcastJsonValue> event) {
      on(event);
    }

    @Override public void entryRemoved(EntryEvent<String, HazelcastJsonValue> event) {
      on(event);
    }

    @Override public void entryEvicted(EntryEvent<String, HazelcastJsonValue> event) {
      on(event);
    }

    @Override public void entryExpired(EntryEvent<String, HazelcastJsonValue> event) {
      on(event);
    }

    @Override public void entryMerged(EntryEvent<String, HazelcastJsonValue> event) {
      on(event);
    }
  }
}
