package io.livegate.core;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Handler;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Admission and deadlines of one HTTP port's connections, through Vert.x's public API (its connection handler, the
 * requests, a timer): Vert.x 5's HTTP server has no deadline for a request whose headers or body never finish.
 *
 * <ul>
 *   <li>a connection is admitted only while the process keeps {@code reserve} file descriptors free: running out
 *       would stop the node accepting anything, on every port;</li>
 *   <li>a connection must send a request's headers within the header timeout of opening, or of the end of its
 *       previous response (an idle keep-alive connection too), else it is closed: no request, no answer to give;</li>
 *   <li>a request's body must arrive within the body timeout of its headers, else 408 and the connection closed;</li>
 *   <li>at most {@code maxUnfinished} connections that have not given a whole request are held.</li>
 * </ul>
 * Where either is short, the connection that has waited longest for its request is closed to make room, so that a
 * flood of slow connections cannot keep a quick one (a health check) out; a new one is refused (closed at once) only
 * where no waiting one is old enough. Once a request has arrived whole, its answer takes as long as it takes (a SockJS xhr-streaming response streams for
 * minutes), and a connection upgraded to a WebSocket (status 101) is no longer this guard's: its idle timeout applies.
 * Runs on the verticle's event loop, as the server's connections do.
 */
public final class HttpGuard {
  public static final String REFUSED = "livegate.http.connections.refused";
  public static final String TIMED_OUT = "livegate.http.requests.timed.out";
  public static final String REASON_DESCRIPTORS = "file_descriptors";
  public static final String REASON_UNFINISHED = "max_unfinished";
  public static final String PHASE_HEADERS = "headers";
  public static final String PHASE_BODY = "body";
  private static final int SWITCHING_PROTOCOLS = 101;
  /** An unfinished connection younger than this is not closed to make room for a new one. */
  public static final long EVICTABLE_AFTER_MS = 1_000;

  private final Vertx vertx;
  private final NodeConfig.HttpLimits limits;
  private final long reserve;
  private final FileDescriptors descriptors;
  private final Answers answers;
  private final Map<HttpConnection, Tracked> tracked = new IdentityHashMap<>();
  /** The tracked connections that have not given a whole request, longest waiting first. */
  private final LinkedHashMap<HttpConnection, Tracked> unfinished = new LinkedHashMap<>();
  private final Counter refusedForDescriptors;
  private final Counter refusedForUnfinished;
  private final Counter headersTimedOut;
  private final Counter bodyTimedOut;

  /** One connection: since when it waits, and for what. */
  private static final class Tracked {
    final HttpConnection connection;
    long sinceMs;
    HttpServerRequest request;

    Tracked(HttpConnection connection, long sinceMs) {
      this.connection = connection;
      this.sinceMs = sinceMs;
    }
  }

  /**
   * @param port     the port's name in the meters' {@code port} label: {@code bridge} or {@code rest}
   * @param reserve  file descriptors this port leaves free
   * @param answers  how the port words the errors the guard answers (the REST API in JSON, the bridge in text)
   */
  public HttpGuard(Vertx vertx, String port, NodeConfig.HttpLimits limits, long reserve, MeterRegistry registry,
      Answers answers) {
    this.vertx = vertx;
    this.limits = limits;
    this.reserve = reserve;
    this.descriptors = FileDescriptors.PROCESS;
    this.answers = answers;
    refusedForDescriptors = refusedCounter(registry, port, REASON_DESCRIPTORS);
    refusedForUnfinished = refusedCounter(registry, port, REASON_UNFINISHED);
    headersTimedOut = timedOutCounter(registry, port, PHASE_HEADERS);
    bodyTimedOut = timedOutCounter(registry, port, PHASE_BODY);
  }

  private static Counter refusedCounter(MeterRegistry registry, String port, String reason) {
    return Counter.builder(REFUSED).tag("port", port).tag("reason", reason)
        .description("HTTP connections closed by admission: too few free file descriptors, or the oldest unfinished one "
            + "beyond the port's limit")
        .register(registry);
  }

  private static Counter timedOutCounter(MeterRegistry registry, String port, String phase) {
    return Counter.builder(TIMED_OUT).tag("port", port).tag("phase", phase)
        .description("HTTP connections closed because a request's headers or body did not arrive in time")
        .register(registry);
  }

  /** Guards {@code server}'s connections and returns the request handler to give it, which passes on to {@code requests}. */
  public Handler<HttpServerRequest> guard(HttpServer server, Handler<HttpServerRequest> requests) {
    server.connectionHandler(this::opened);
    server.invalidRequestHandler(this::invalid);
    long deadline = Math.min(positive(limits.headerTimeoutMs()), positive(limits.bodyTimeoutMs()));
    if (deadline != Long.MAX_VALUE) vertx.setPeriodic(Math.max(25, Math.min(1_000, deadline / 4)), id -> sweep());
    return request -> {
      arrived(request);
      requests.handle(request);
    };
  }

  /**
   * {@code request}'s connection is no longer HTTP's: its handlers were taken out of the pipeline (the bridge's raw
   * WebSocket), so Vert.x will not say when it closes.
   */
  public void handedOver(HttpServerRequest request) {
    HttpConnection connection = request.connection();
    tracked.remove(connection);
    unfinished.remove(connection);
  }

  /** Connections that have not given a whole request now (for tests). */
  public int unfinishedConnections() {
    return unfinished.size();
  }

  /**
   * Admits {@code connection}, or closes it at once. Where room is short (too few free descriptors, or as many
   * unfinished connections as the port holds), the one that has waited longest for its request makes room, if it has
   * waited {@link #EVICTABLE_AFTER_MS}: an attacker's trickling connections are old, a connect storm's are not, and a
   * new one may be a health check. Otherwise the new one is refused (load shed).
   */
  private void opened(HttpConnection connection) {
    descriptors.opened();
    connection.closeHandler(v -> {
      descriptors.closed();
      tracked.remove(connection);
      unfinished.remove(connection);
    });
    if (descriptors.free() <= reserve && !evictOldest(refusedForDescriptors)) {
      refusedForDescriptors.increment();
      connection.close();
      return;
    }
    if (unfinished.size() >= limits.maxUnfinished() && !evictOldest(refusedForUnfinished)) {
      refusedForUnfinished.increment();
      connection.close();
      return;
    }
    Tracked connectionState = new Tracked(connection, now());
    tracked.put(connection, connectionState);
    unfinished.put(connection, connectionState);
  }

  /** Closes the longest-waiting unfinished connection if it has waited long enough; whether it did. */
  private boolean evictOldest(Counter reason) {
    Iterator<Tracked> oldest = unfinished.values().iterator();
    if (!oldest.hasNext()) return false;
    Tracked evicted = oldest.next();
    if (now() - evicted.sinceMs < EVICTABLE_AFTER_MS) return false;
    oldest.remove();
    tracked.remove(evicted.connection);
    reason.increment();
    evicted.connection.close();
    return true;
  }

  private void arrived(HttpServerRequest request) {
    Tracked connection = tracked.get(request.connection());
    if (connection == null) return;
    connection.request = request;
    connection.sinceMs = now();
    if (request.isEnded() || isUpgrade(request)) unfinished.remove(connection.connection);
  }

  /** Closes the connections past their deadline, and sees which have finished a request or an answer since the last sweep. */
  private void sweep() {
    long now = now();
    List<Runnable> closing = new ArrayList<>();
    for (Iterator<Tracked> it = tracked.values().iterator(); it.hasNext(); ) {
      Tracked connection = it.next();
      HttpServerRequest request = connection.request;
      HttpServerResponse response = request == null ? null : request.response();
      if (response != null && response.ended() && response.getStatusCode() == SWITCHING_PROTOCOLS) {
        it.remove(); // a WebSocket now: Vert.x's, with the bridge's idle timeout
        unfinished.remove(connection.connection);
      } else if (response != null && response.ended()) {
        if (!unfinished.containsKey(connection.connection)) { // answered: now it waits for the next request
          connection.sinceMs = now;
          unfinished.put(connection.connection, connection);
        }
        if (expired(connection, now, limits.headerTimeoutMs())) closing.add(() -> closeWaitingForHeaders(connection));
      } else if (request == null) {
        if (expired(connection, now, limits.headerTimeoutMs())) closing.add(() -> closeWaitingForHeaders(connection));
      } else if (!request.isEnded() && !isUpgrade(request)) {
        if (expired(connection, now, limits.bodyTimeoutMs())) closing.add(() -> closeWaitingForBody(connection));
      } else {
        unfinished.remove(connection.connection); // a whole request, being answered: its answer takes what it takes
      }
    }
    closing.forEach(Runnable::run);
  }

  private void closeWaitingForHeaders(Tracked connection) {
    headersTimedOut.increment();
    connection.connection.close();
  }

  /** 408 where the answer has not begun, then the connection is closed: its body would never be read. */
  private void closeWaitingForBody(Tracked connection) {
    bodyTimedOut.increment();
    HttpServerResponse response = connection.request.response();
    if (response.headWritten()) {
      connection.connection.close();
      return;
    }
    answerAndClose(connection.connection, response, 408, "the request's body did not arrive in time");
  }

  /**
   * A request Netty could not decode: a malformed head, one too long, or a head cut short by its connection's close
   * (what the header deadline does to a trickling client: Netty hands the part it has on as an invalid request).
   * Answered as Vert.x's own handler would (414, 431, else 400), in the port's words, and closed.
   */
  private void invalid(HttpServerRequest request) {
    Throwable cause = request.decoderResult().cause();
    if (cause instanceof PrematureChannelClosureException) {
      // The connection is gone already (the header deadline closed it, or its client hung up mid-head): nothing to
      // answer, and an answer left unwritten on a closed connection books the request as reset.
      request.connection().close();
      return;
    }
    int status = cause instanceof TooLongHttpLineException ? 414 : cause instanceof TooLongHttpHeaderException ? 431 : 400;
    String message = switch (status) {
      case 414 -> "the request line is too long";
      case 431 -> "the request's headers are too large";
      default -> "not a well-formed HTTP request";
    };
    answerAndClose(request.connection(), request.response(), status, message);
  }

  /**
   * Writes the answer whole but does not end it, then closes the connection. Vert.x's metrics count a request out once
   * both it and its answer have ended, and these requests never end (a body that never came, a head that could not be
   * read): an ended answer kept each in {@code vertx_http_server_active_requests} for good, while an unended one on a
   * closed connection is booked as reset. The client reads a whole answer all the same (its Content-Length).
   */
  private void answerAndClose(HttpConnection connection, HttpServerResponse response, int status, String message) {
    Answer answer = answers.answer(status, message);
    Buffer body = Buffer.buffer(answer.body());
    response.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, answer.contentType())
        .putHeader(HttpHeaders.CONTENT_LENGTH, String.valueOf(body.length())).putHeader(HttpHeaders.CONNECTION, "close");
    response.write(body).onComplete(written -> connection.close());
  }

  /** What a port answers an error: its content type and body. */
  public record Answer(String contentType, String body) {}

  /** How a port words an error it answers itself: the REST API as its JSON errors, the bridge as text. */
  @FunctionalInterface
  public interface Answers {
    Answer answer(int status, String message);
  }

  private static boolean expired(Tracked connection, long now, long timeoutMs) {
    return timeoutMs > 0 && now - connection.sinceMs >= timeoutMs;
  }

  private static boolean isUpgrade(HttpServerRequest request) {
    String upgrade = request.getHeader(HttpHeaders.UPGRADE);
    return upgrade != null && upgrade.equalsIgnoreCase("websocket");
  }

  private static long positive(long ms) {
    return ms > 0 ? ms : Long.MAX_VALUE;
  }

  private static long now() {
    return System.nanoTime() / 1_000_000;
  }
}
