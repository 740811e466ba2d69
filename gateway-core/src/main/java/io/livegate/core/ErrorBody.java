package io.livegate.core;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

/** The shape of every HTTP error of a node, on any of its ports: {@code {"error": "<sentence>", "status": n}}. */
public final class ErrorBody {
  public static final String JSON = "application/json";

  private ErrorBody() {}

  public static JsonObject of(int status, String message) {
    return new JsonObject().put("error", message).put("status", status);
  }

  /** What the {@link HttpGuard} answers itself (a head too long or malformed, a body too slow), as JSON. */
  public static HttpGuard.Answer guardAnswer(int status, String message) {
    return new HttpGuard.Answer(JSON, of(status, message).encode());
  }

  public static void answer(HttpServerResponse response, int status, String message) {
    response.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, JSON).end(of(status, message).encode());
  }
}
