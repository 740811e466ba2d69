package io.livegate.rest;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.ext.web.RequestBody;
import io.vertx.ext.web.RoutingContext;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Locale;

/** A request body as an event-bus message: any JSON value, whatever the Content-Type says (curl sends forms). */
final class JsonBody {

  /**
   * Mounted before the body handler. {@code curl -d} says the body is a form; the body handler would
   * then parse our JSON as form fields and fail on a stray {@code %}. We take every body as bytes.
   */
  static void readAsBytes(RoutingContext ctx) {
    String type = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
    if (type != null) {
      String lower = type.toLowerCase(Locale.ROOT);
      if (lower.startsWith("application/x-www-form-urlencoded") || lower.startsWith("multipart/")) {
        ctx.request().headers().remove(HttpHeaders.CONTENT_TYPE);
      }
    }
    ctx.next();
  }

  /**
   * The body as JsonObject, JsonArray, String, Integer, Long, Double, Boolean or null; throws a 400
   * {@link ApiError} when it is missing or not JSON.
   */
  static Object decode(RequestBody body) {
    Buffer buffer = body.buffer();
    if (buffer == null || buffer.toString().isBlank()) {
      throw new ApiError(400, "the request body is empty: send a JSON value");
    }
    Object value;
    try {
      value = Json.decodeValue(buffer);
    } catch (DecodeException e) {
      throw new ApiError(400, "the request body is not valid JSON");
    }
    return forEventBus(value);
  }

  /** Jackson gives big numbers as BigInteger/BigDecimal, which the event bus has no codec for. */
  private static Object forEventBus(Object value) {
    if (value instanceof BigInteger big) {
      if (big.bitLength() < 64) return big.longValue();
      throw new ApiError(400, "the number in the request body is out of range");
    }
    if (value instanceof BigDecimal decimal) return decimal.doubleValue();
    return value;
  }

  private JsonBody() {}
}
