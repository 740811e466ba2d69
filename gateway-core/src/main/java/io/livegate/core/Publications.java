package io.livegate.core;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.EncodeException;
import io.vertx.core.json.Json;

/**
 * The one way the product publishes for browsers (the REST API, a browser's {@code publish}, a cluster member's send
 * to {@link Addresses#PUBLISH}): on an address that keeps a history, the publication is kept first and goes out
 * numbered ({@link HistoryHeaders#OFFSET}, {@link HistoryHeaders#EPOCH}), so whoever missed it can have it again;
 * on any other address it is published as it is.
 */
public final class Publications {
  private final EventBus eventBus;
  private final PublicationHistory history;

  public Publications(EventBus eventBus, PublicationHistory history) {
    this.eventBus = eventBus;
    this.history = history;
  }

  public PublicationHistory history() {
    return history;
  }

  /**
   * Publishes {@code body} with {@code headers} (or null) on {@code address}. Completes with its place in the
   * address's history, or null where none is kept; fails, and nothing is published, if the history could not keep it
   * (its body is not JSON: {@link EncodeException}; the cluster did not answer).
   */
  public Future<PublicationHistory.Stamp> publish(String address, Object body, MultiMap headers) {
    DeliveryOptions options = options(headers);
    if (!history.keeps(address)) {
      eventBus.publish(address, body, options);
      return Future.succeededFuture();
    }
    String json;
    try {
      json = Json.encode(body);
    } catch (EncodeException e) {
      return Future.failedFuture(e);
    }
    return history.append(address, json, MessageHeaders.toJson(options.getHeaders())).map(stamp -> {
      options.addHeader(HistoryHeaders.OFFSET, Long.toString(stamp.offset())).addHeader(HistoryHeaders.EPOCH, stamp.epoch());
      eventBus.publish(address, body, options);
      return stamp;
    });
  }

  /** The publisher's headers, but for ours: a publisher cannot forge a place in the history. */
  private static DeliveryOptions options(MultiMap headers) {
    DeliveryOptions options = new DeliveryOptions();
    if (headers != null) {
      for (String name : headers.names()) {
        if (isNumbering(name)) continue;
        for (String value : headers.getAll(name)) options.addHeader(name, value);
      }
    }
    return options;
  }

  private static boolean isNumbering(String header) {
    return header.equalsIgnoreCase(HistoryHeaders.OFFSET) || header.equalsIgnoreCase(HistoryHeaders.EPOCH)
        || header.equalsIgnoreCase(HistoryHeaders.RECOVERED) || header.equalsIgnoreCase(HistoryHeaders.REPLAYED);
  }
}
