package io.livegate.core;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.vertx.core.json.JsonObject;

/**
 * One live event as the simulator publishes it. {@code version} grows by one on every change;
 * {@code publishedBy} names the node whose simulator made the change.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ScoreEvent(String id, String name, Score score, long version, String updatedAt, String publishedBy) {

  public record Score(int home, int away) {}

  public JsonObject toJson() {
    return JsonObject.mapFrom(this);
  }

  public static ScoreEvent fromJson(JsonObject json) {
    return json.mapTo(ScoreEvent.class);
  }

  /** Event ids run {@code EVENT#00} to {@code EVENT#04}. */
  public static String idOf(int index) {
    return String.format("EVENT#%02d", index);
  }
}
