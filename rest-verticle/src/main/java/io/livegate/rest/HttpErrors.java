package io.livegate.rest;

import io.livegate.core.HttpGuard;
import io.livegate.core.RefusalLog;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import java.util.logging.Logger;

/**
 * The one way the REST API answers an error: {@code {"error": "<sentence>", "status": n}}, never a
 * stack trace. Handlers, the router's failure handler and its error handlers all end here.
 */
final class HttpErrors {
  private static final Logger LOG = Logger.getLogger(HttpErrors.class.getName());
  static final String JSON = "application/json";
  /** Refusals that say how things are (nobody answers, a timeout, the history out of reach), not that the node failed. */
  private static final java.util.Set<Integer> REFUSALS = java.util.Set.of(503, 504);

  private HttpErrors() {}

  /** {@code cause} is logged (5xx only), never sent. */
  static void respond(RoutingContext ctx, ApiError error, Throwable cause, RefusalLog refusals) {
    HttpServerResponse response = ctx.response();
    if (response.ended()) return;
    HttpServerRequest request = ctx.request();
    if (REFUSALS.contains(error.status())) {
      // The state of things, at INFO, summarized: a caller that retries sets no log's volume.
      refusals.refused(request.method() + " " + family(request.path()) + " -> " + error.status(),
          request.method() + " " + request.path() + " -> " + error.status() + ": " + error.getMessage());
    } else if (error.status() >= 500) {
      // One line per event, as every log of a node; the cause names what a 500 hides from the caller.
      LOG.warning(request.method() + " " + request.path() + " -> " + error.status() + ": " + error.getMessage()
          + (cause == null ? "" : " (" + cause + ")"));
    }
    if (response.headWritten()) {
      // Too late for a status line: cut the response rather than append an error to it.
      response.reset();
      return;
    }
    response.setStatusCode(error.status())
        .putHeader(HttpHeaders.CONTENT_TYPE, JSON)
        .end(error.toJson().encode());
  }

  /**
   * What the router hands to failure and error handlers: our own {@link ApiError}, a status from
   * Vert.x Web (400 bad URL encoding, 404, 405, 413 from the body handler, ...) or an unexpected
   * exception (500).
   */
  static void respondToFailure(RoutingContext ctx, int routerStatus, long maxBodyBytes, RefusalLog refusals) {
    Throwable failure = ctx.failure();
    if (failure instanceof HttpClosedException || ctx.response().closed()) {
      // The client went before its request was whole or answered: nobody to answer, nothing the node did wrong.
      // (It was a WARNING a request, so whoever sent requests set the log's volume.)
      return;
    }
    if (failure instanceof ApiError error) {
      respond(ctx, error, null, refusals);
      return;
    }
    int status = failure instanceof HttpException http ? http.getStatusCode() : routerStatus;
    // A body Netty's HTTP decoder could not read (a chunk size that is not hexadecimal, ...): the client's mistake.
    if (isUnreadableBody(failure)) status = 400;
    if (status < 400 || status > 599) status = 500;
    respond(ctx, new ApiError(status, sentenceFor(status, ctx.request(), maxBodyBytes)), failure, refusals);
  }

  /** The errors the guard answers itself (see {@code HttpGuard}: a body that did not arrive in time, a malformed head), as every error here. */
  static HttpGuard.Answer guardAnswer(int status, String message) {
    return new HttpGuard.Answer(JSON, new ApiError(status, message).toJson().encode());
  }

  /** Netty's HTTP decoder fails a body it cannot read with a NumberFormatException or a DecoderException of its own. */
  private static boolean isUnreadableBody(Throwable failure) {
    if (failure instanceof io.netty.handler.codec.DecoderException) return true;
    if (!(failure instanceof NumberFormatException)) return false;
    for (StackTraceElement frame : failure.getStackTrace()) {
      if (frame.getClassName().startsWith("io.netty.handler.codec.http.")) return true;
    }
    return false;
  }

  private static String sentenceFor(int status, HttpServerRequest request, long maxBodyBytes) {
    return switch (status) {
      case 400 -> "the request is malformed";
      case 404 -> "nothing here: " + request.path() + " is not a path of this API";
      case 405 -> "method " + request.method() + " is not allowed on " + request.path();
      case 413 -> "the request body is larger than the limit of " + maxBodyBytes + " bytes";
      case 500 -> "internal error while serving the request";
      case 503 -> "the service is unavailable";
      default -> "the request failed with status " + status;
    };
  }

  /** The path without what a caller chooses in it: {@code /api/send/svc.quote} is {@code /api/send/*}. */
  static String family(String path) {
    if (path == null) return "?";
    int second = path.indexOf('/', path.startsWith("/api/") ? 5 : 1);
    return second < 0 ? path : path.substring(0, second) + "/*";
  }
}
