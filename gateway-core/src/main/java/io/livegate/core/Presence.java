package io.livegate.core;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * Who is registered on which address, cluster-wide: one entry per connection and address, for the addresses of
 * {@code --presence-addresses}. Each node holds a copy of all of it ({@link PresenceView}), which follows the cluster's
 * and announces each change to the node's own listeners on {@code presence.<address>}; an entry of a node that leaves
 * the cluster goes as the membership drops it.
 */
public interface Presence {
  /** The most entries a list holds; its count is of all of them. */
  int MAX_LISTED = 1000;
  /** The longest display name a connection may show, in UTF-8 bytes. */
  int MAX_NAME_BYTES = 64;

  /** Whether {@code address} keeps presence. */
  boolean tracks(String address);

  /** Shows {@code member} present on {@code address}; completes once the cluster holds it. */
  Future<Void> join(String address, Member member);

  /** The entry {@code id} leaves {@code address}. */
  Future<Void> leave(String address, String id);

  /** Who is on {@code address} now, as this node's copy has it, those who came first first. */
  List<Member> members(String address);

  /** This node's own entries now: what {@code --max-presence-entries} bounds. */
  int ownEntries();

  /** The entries this node's copy holds, of every node. */
  int heldEntries();

  /**
   * One connection on one address.
   *
   * @param id     the entry's own id: one per connection, opaque
   * @param client who it is: the token's {@code sub}, else the id
   * @param name   what it chose to show (the register frame's {@code headers.name}), or null
   * @param since  when it registered, epoch milliseconds
   */
  record Member(String id, String client, String name, long since) {
    public JsonObject toJson() {
      JsonObject json = new JsonObject().put("id", id).put("client", client);
      if (name != null) json.put("name", name);
      return json.put("since", since);
    }

    public static Member fromJson(JsonObject json) {
      return new Member(json.getString("id"), json.getString("client"), json.getString("name"), json.getLong("since", 0L));
    }
  }

  /** What a presence request is answered with: {@code {address, count, members, more}}. */
  static JsonObject listing(String address, List<Member> members) {
    JsonArray listed = new JsonArray();
    for (int i = 0; i < Math.min(members.size(), MAX_LISTED); i++) listed.add(members.get(i).toJson());
    return new JsonObject().put("address", address).put("count", members.size()).put("members", listed)
        .put("more", members.size() > MAX_LISTED);
  }

  /** Why {@code name} cannot be shown, or null if it can (absent, or a string of text within the limit). */
  static String nameProblem(Object name) {
    if (name == null) return null;
    if (!(name instanceof String text)) return "headers.name must be a string";
    if (text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
      return "headers.name is longer than " + MAX_NAME_BYTES + " bytes (UTF-8)";
    }
    for (int i = 0; i < text.length(); i++) {
      if (Character.isISOControl(text.charAt(i))) return "headers.name holds a control character";
    }
    return null;
  }
}
