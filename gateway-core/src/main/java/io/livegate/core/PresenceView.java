package io.livegate.core;

import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A node's copy of who is where ({@link Presence}), and its announcer: each entry that arrives or goes is told, once,
 * to this node's listeners on {@code presence.<address>} (a local publish: every node announces to its own). An entry
 * already there is not announced again, nor one already gone. Safe from any thread.
 *
 * <p>An announcement: {@code {"action": "join"|"leave", "address", "member": {id, client, name, since}, "count"}}.
 */
public final class PresenceView {
  public static final String JOIN = "join";
  public static final String LEAVE = "leave";
  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true);
  private static final Comparator<Presence.Member> ARRIVAL =
      Comparator.comparingLong(Presence.Member::since).thenComparing(Presence.Member::id);

  /** An entry, with the node that holds its connection. */
  public record Held(String address, Presence.Member member, String node) {}

  private final EventBus eventBus;
  private final Map<String, Map<String, Held>> byAddress = new ConcurrentHashMap<>();
  /** Each address's list, sorted, until it changes: asking costs no sort (a browser may ask 100 times a second). */
  private final Map<String, List<Presence.Member>> sorted = new ConcurrentHashMap<>();
  private final AtomicInteger held = new AtomicInteger();
  /** Grows on every change of any address (under this view's lock). */
  private volatile long version;

  public PresenceView(EventBus eventBus) {
    this.eventBus = eventBus;
  }

  /** {@code entry} is in the cluster: announced if it is new here (else it replaces what was held: its node may be new). */
  public void arrived(Held entry) {
    Map<String, Held> members = byAddress.computeIfAbsent(entry.address(), a -> new ConcurrentHashMap<>());
    Held previous = members.put(entry.member().id(), entry);
    if (previous == null || !previous.member().equals(entry.member())) changed(entry.address());
    if (previous == null) {
      held.incrementAndGet();
      announce(JOIN, entry.address(), entry.member(), members.size());
    }
  }

  /** The entry {@code id} on {@code address} is gone: announced if it was here. */
  public void left(String address, String id) {
    Map<String, Held> members = byAddress.get(address);
    Held gone = members == null ? null : members.remove(id);
    if (gone == null) return;
    changed(address);
    held.decrementAndGet();
    if (members.isEmpty()) byAddress.remove(address, members);
    announce(LEAVE, address, gone.member(), members.size());
  }

  /** Every entry of {@code node} leaves (it left the cluster). */
  public void leftNode(String node) {
    for (Held entry : entries()) {
      if (entry.node().equals(node)) left(entry.address(), entry.member().id());
    }
  }

  /** Makes this copy what the cluster holds ({@code now}, after a split healed): what differs is announced. */
  public void replaceWith(List<Held> now) {
    Map<String, Held> wanted = new java.util.HashMap<>();
    for (Held entry : now) wanted.put(key(entry.address(), entry.member().id()), entry);
    for (Held entry : entries()) {
      if (!wanted.containsKey(key(entry.address(), entry.member().id()))) left(entry.address(), entry.member().id());
    }
    for (Held entry : now) arrived(entry);
  }

  /** Who is on {@code address}, those who came first first. */
  public List<Presence.Member> members(String address) {
    List<Presence.Member> cached = sorted.get(address);
    if (cached != null) return cached;
    long before = version;
    Map<String, Held> members = byAddress.get(address);
    if (members == null) return List.of();
    List<Presence.Member> list = new ArrayList<>(members.size());
    for (Held entry : members.values()) list.add(entry.member());
    list.sort(ARRIVAL);
    List<Presence.Member> made = List.copyOf(list);
    synchronized (this) {
      if (version == before) sorted.put(address, made); // else something changed meanwhile: made may be stale
    }
    return made;
  }

  private synchronized void changed(String address) {
    version++;
    sorted.remove(address);
  }

  /** The entries held, of every node. */
  public int size() {
    return held.get();
  }

  /** Every entry held now. */
  public List<Held> entries() {
    List<Held> all = new ArrayList<>();
    for (Map<String, Held> members : byAddress.values()) all.addAll(members.values());
    return all;
  }

  private void announce(String action, String address, Presence.Member member, int count) {
    eventBus.publish(Addresses.presenceOf(address), new JsonObject().put("action", action).put("address", address)
        .put("member", member.toJson()).put("count", count), LOCAL);
  }

  private static String key(String address, String id) {
    return id + "@" + address;
  }
}
