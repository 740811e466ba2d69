package io.livegate.core;

import io.vertx.core.eventbus.EventBus;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * What every {@link Presence} shares: which addresses keep it, this node's copy ({@link PresenceView}) that lists and
 * announces, and this node's own entries (by {@link #key}), which {@code --max-presence-entries} bounds.
 */
public abstract class ViewedPresence implements Presence {
  private final List<Pattern> addresses;
  protected final PresenceView view;
  /** This node's own entries, by {@link #key}. */
  protected final Map<String, PresenceView.Held> own = new ConcurrentHashMap<>();

  protected ViewedPresence(EventBus eventBus, NodeConfig.PresenceSettings settings) {
    this.addresses = settings.addresses().stream().map(Pattern::compile).toList();
    this.view = new PresenceView(eventBus);
  }

  @Override
  public boolean tracks(String address) {
    for (Pattern pattern : addresses) {
      if (pattern.matcher(address).matches()) return true;
    }
    return false;
  }

  @Override
  public List<Member> members(String address) {
    return view.members(address);
  }

  @Override
  public int ownEntries() {
    return own.size();
  }

  @Override
  public int heldEntries() {
    return view.size();
  }

  /** An entry's key: its id, then the address (an id has no {@code @}). */
  public static String key(String address, String id) {
    return id + "@" + address;
  }
}
