package io.livegate.core;

import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/** Event-bus headers as the bridge's frames carry them, and as the history keeps them. */
public final class MessageHeaders {

  /** One value stays a string, a repeated header becomes an array (as in the stock bridge); null if there are none. */
  public static JsonObject toJson(MultiMap headers) {
    if (headers == null || headers.isEmpty()) return null;
    JsonObject json = new JsonObject();
    for (String name : headers.names()) {
      List<String> values = headers.getAll(name);
      json.put(name, values.size() == 1 ? values.get(0) : new JsonArray(List.copyOf(values)));
    }
    return json;
  }

  private MessageHeaders() {}
}
