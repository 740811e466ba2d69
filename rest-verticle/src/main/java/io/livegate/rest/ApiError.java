package io.livegate.rest;

import io.vertx.core.json.JsonObject;

/**
 * A request we cannot serve: the status and the sentence the caller gets back. Thrown or failed
 * anywhere in a handler, it ends up in {@link HttpErrors}, which is the only place that answers it.
 */
final class ApiError extends RuntimeException {
  private final int status;
  private final JsonObject details;

  ApiError(int status, String message) {
    this(status, message, new JsonObject());
  }

  /** {@code details} are extra fields of the error object, such as {@code failureCode}. */
  ApiError(int status, String message, JsonObject details) {
    // No stack trace: this is an answer, not a bug.
    super(message, null, false, false);
    this.status = status;
    this.details = details;
  }

  int status() {
    return status;
  }

  /** {@code {"error": "...", "status": n, ...details}}. */
  JsonObject toJson() {
    return new JsonObject().put("error", getMessage()).put("status", status).mergeIn(details);
  }
}
