package io.livegate.bridge;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.handler.codec.http.multipart.HttpPostRequestDecoder;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The one check in front of SockJS's send transports ({@code xhr_send}, {@code jsonp_send}): a body SockJS would choke
 * on (vertx-web 5.0.10 answers an empty one or broken JSON with 500, throws a NullPointerException on {@code [null]},
 * and fails the router on a large form) gets a 4xx here and never reaches it. What SockJS takes is a JSON array of
 * strings, each one bridge frame; the frames themselves are then checked by {@link FrameValidator} like any other.
 * Every refusal is counted by reason; none is logged (the client's mistake, not the node's).
 */
final class SockJsSends {
  /**
   * {@code /eventbus/<server>/<session>/xhr_send} and {@code .../jsonp_send}, as SockJS routes them. No capturing
   * group: a route's groups become the request's {@code param0...}, where SockJS reads its session id.
   */
  static final Pattern SEND_PATH = Pattern.compile("/eventbus/[^/.]+/[^/.]+/(?:xhr_send|jsonp_send)");
  static final String REFUSED = "livegate.bridge.sends.refused";
  static final String TOO_LARGE = "too_large";
  static final String UNSUPPORTED_TYPE = "unsupported_type";
  static final String MALFORMED = "malformed";
  private static final String FORM = "application/x-www-form-urlencoded";
  private static final String MULTIPART = "multipart/";

  private final long maxBodyBytes;
  private final Map<String, Counter> refused;

  /**
   * @param maxBodyBytes the largest send body: one frame at {@code --max-frame-bytes}, even with every character
   *                     escaped by JSON, in SockJS's array ({@link #bodyLimit})
   */
  SockJsSends(long maxBodyBytes, MeterRegistry registry) {
    this.maxBodyBytes = maxBodyBytes;
    this.refused = Map.of(
        TOO_LARGE, counter(registry, TOO_LARGE),
        UNSUPPORTED_TYPE, counter(registry, UNSUPPORTED_TYPE),
        MALFORMED, counter(registry, MALFORMED));
  }

  /** A frame of {@code maxFrameBytes} whose every character JSON escapes with two ({@code \"}), in {@code ["..."]}. */
  static long bodyLimit(int maxFrameBytes) {
    return 2L * maxFrameBytes + 16;
  }

  private static Counter counter(MeterRegistry registry, String reason) {
    return Counter.builder(REFUSED).tag("reason", reason)
        .description("SockJS xhr_send and jsonp_send requests refused: too large (413), a content type SockJS does not "
            + "take (415), a body that is not a JSON array of strings (400)")
        .register(registry);
  }

  /** Before the body is read: its announced length and its type. */
  void checkHead(RoutingContext ctx) {
    String length = ctx.request().getHeader(HttpHeaders.CONTENT_LENGTH);
    if (length != null && announcedTooLarge(length)) {
      refuse(ctx, 413, TOO_LARGE, "the body is larger than the limit of " + maxBodyBytes + " bytes\n");
      return;
    }
    String type = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
    String lower = type == null ? "" : type.toLowerCase(java.util.Locale.ROOT);
    boolean jsonp = ctx.request().path().endsWith("jsonp_send");
    // xhr_send's body is SockJS's JSON whatever the type says (curl -d sends it as a form); multipart it cannot be.
    boolean unsupported = jsonp ? !(lower.startsWith(FORM) || lower.startsWith("text/plain")) : lower.startsWith(MULTIPART);
    if (unsupported) {
      refuse(ctx, 415, UNSUPPORTED_TYPE, "unsupported Content-Type for " + (jsonp ? "jsonp_send" : "xhr_send") + "\n");
      return;
    }
    ctx.next();
  }

  /** Once the body is read: a non-empty JSON array of strings (for a form jsonp_send, in its {@code d} field). */
  void checkBody(RoutingContext ctx) {
    Buffer body = ctx.body().buffer();
    String payload = body == null ? null : body.toString();
    String type = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
    boolean jsonp = ctx.request().path().endsWith("jsonp_send");
    if (jsonp && payload != null && type != null && type.toLowerCase(java.util.Locale.ROOT).startsWith(FORM)) {
      payload = ctx.request().getFormAttribute("d");
    }
    if (payload == null || payload.isEmpty()) {
      refuse(ctx, 400, MALFORMED, "Payload expected.\n");
    } else if (!isArrayOfStrings(payload)) {
      refuse(ctx, 400, MALFORMED, "Broken JSON encoding.\n");
    } else {
      ctx.next();
    }
  }

  /**
   * What fails on the bridge's routes (the body handler's 413, a form field too long, a client gone) is answered with
   * its status, or not at all if the client is gone, and never logged with a stack trace.
   */
  void answerFailure(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    HttpServerResponse response = ctx.response();
    if (failure instanceof HttpClosedException || response.closed() || response.ended()) return;
    int status = ctx.statusCode();
    if (failure instanceof HttpException http) status = http.getStatusCode();
    if (failure instanceof HttpPostRequestDecoder.TooLongFormFieldException) status = 413;
    if (failure instanceof HttpPostRequestDecoder.ErrorDataDecoderException
        || failure instanceof HttpPostRequestDecoder.TooManyFormFieldsException) {
      status = 400;
    }
    if (status < 400 || status > 599) status = 500;
    if (SEND_PATH.matcher(ctx.request().path()).matches() && status < 500) {
      refused.get(status == 413 ? TOO_LARGE : MALFORMED).increment();
    }
    if (response.headWritten()) {
      response.reset();
      return;
    }
    io.livegate.core.ErrorBody.answer(response, status,
        io.netty.handler.codec.http.HttpResponseStatus.valueOf(status).reasonPhrase().toLowerCase(java.util.Locale.ROOT));
  }

  private boolean announcedTooLarge(String length) {
    try {
      return Long.parseLong(length.trim()) > maxBodyBytes;
    } catch (NumberFormatException e) {
      return false; // the HTTP decoder has refused it already
    }
  }

  private static boolean isArrayOfStrings(String payload) {
    try {
      return Json.decodeValue(payload) instanceof JsonArray frames && frames.stream().allMatch(String.class::isInstance);
    } catch (DecodeException e) {
      return false;
    }
  }

  private void refuse(RoutingContext ctx, int status, String reason, String message) {
    refused.get(reason).increment();
    HttpServerResponse response = ctx.response().setStatusCode(status)
        .putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8");
    // Its body is not read: the client is asked to close (closing first would reset the connection under the 413);
    // one that goes on sending is closed by the port's header deadline.
    if (status == 413) response.putHeader(HttpHeaders.CONNECTION, "close");
    response.end(message);
  }
}
