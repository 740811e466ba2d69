package io.livegate.bridge;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.http.HttpServerRequestInternal;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.core.net.impl.ShutdownEvent;
import io.vertx.core.net.impl.VertxHandler;
import io.vertx.core.spi.metrics.HttpServerMetrics;
import io.vertx.core.spi.metrics.TCPMetrics;
import io.vertx.core.spi.observability.HttpRequest;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Every use the node makes of what Vert.x does not publish as API, in one place: the raw WebSocket takes a Vert.x
 * HTTP/1.1 connection's channel over (its pipeline handler's name and type, the connection's metrics), hands its
 * events to the bridge on the verticle's context as Vert.x's own sockets do, and hears the HTTP server's shutdown;
 * SockJS's WebSocket transport is watched on its channel. Nothing else in the product imports Vert.x's
 * {@code internal} or {@code impl} packages.
 *
 * <p>Checked for Vert.x 5.0.10. {@link #missing()} names what an upgrade took away, and {@code VertxInternalsTest}
 * fails on it, and on each behaviour relied on, with real connections: read it first after a Vert.x upgrade.
 */
final class VertxInternals {
  private static final Logger LOG = Logger.getLogger(VertxInternals.class.getName());
  /** The name Vert.x gives its connection's handler in the channel pipeline. */
  static final String VERTX_HANDLER = "handler";
  private static final String RESPONSE_CLASS = "io.vertx.core.http.impl.Http1xServerResponse";
  private static final String COMPLETE_HANDSHAKE_METHOD = "completeHandshake";
  /** Vert.x's own hand-over books the request as answered (its HTTP metrics); package-private, so found once. */
  private static final Method COMPLETE_HANDSHAKE = findCompleteHandshake();

  private VertxInternals() {
  }

  /** What of Vert.x's internals the node relies on is not there (empty on the Vert.x it was built with). */
  static List<String> missing() {
    List<String> missing = new ArrayList<>();
    if (COMPLETE_HANDSHAKE == null) missing.add(RESPONSE_CLASS + "." + COMPLETE_HANDSHAKE_METHOD + "()");
    try {
      ContextInternal.class.getMethod("emit", Object.class, Handler.class);
      ContextInternal.class.getMethod("nettyEventLoop");
      ConnectionBase.class.getMethod("channel");
      ConnectionBase.class.getMethod("metric");
      ConnectionBase.class.getMethod("metrics");
      HttpServerRequestInternal.class.getMethod("metric");
    } catch (NoSuchMethodException e) {
      missing.add(e.getMessage());
    }
    return missing;
  }

  /**
   * The channel of a Vert.x HTTP/1.x server connection whose pipeline ends in Vert.x's own handler, as it is before
   * an upgrade; null for anything else (HTTP/2, or a connection already taken over).
   */
  static Channel http1Channel(HttpConnection connection) {
    Channel channel = channel(connection);
    return channel != null && channel.pipeline().get(VERTX_HANDLER) instanceof VertxHandler ? channel : null;
  }

  /** The channel under a Vert.x connection, or null if it is not one of Vert.x's own. */
  static Channel channel(HttpConnection connection) {
    return connection instanceof ConnectionBase base ? base.channel() : null;
  }

  /** True for the event Vert.x sends down each channel of an HTTP server that is shutting down. */
  static boolean isServerShutdown(Object event) {
    return event instanceof ShutdownEvent;
  }

  /** What Vert.x counts when one of its connections closes (the channel outlives the connection object), or null. */
  static Runnable disconnectedMetric(HttpConnection connection) {
    if (!(connection instanceof ConnectionBase base) || !(base.metrics() instanceof TCPMetrics<?> metrics)) return null;
    @SuppressWarnings("unchecked") TCPMetrics<Object> tcp = (TCPMetrics<Object>) metrics;
    Object metric = base.metric();
    SocketAddress remote = base.remoteAddress();
    return () -> tcp.disconnected(metric, remote);
  }

  /**
   * Books a request whose connection was taken over as ended and answered in Vert.x's HTTP metrics. Vert.x books a
   * request as ended when it reads the request's end, which after the hand-over reaches the bridge instead: without
   * this, {@code vertx_http_server_active_requests} would count every raw WebSocket for ever.
   */
  @SuppressWarnings("unchecked")
  static void bookHandedOver(HttpServerRequest request) {
    if (!request.isEnded() && request.connection() instanceof ConnectionBase connection
        && connection.metrics() instanceof HttpServerMetrics<?, ?, ?> metrics
        && request instanceof HttpServerRequestInternal internal && request instanceof HttpRequest observed) {
      ((HttpServerMetrics<Object, Object, Object>) metrics).requestEnd(internal.metric(), observed, 0);
    }
    if (COMPLETE_HANDSHAKE == null) return;
    try {
      COMPLETE_HANDSHAKE.invoke(request.response());
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.log(Level.FINE, "Could not book the WebSocket upgrade in Vert.x's HTTP metrics", e);
    }
  }

  /** Hands events to handlers on a Vert.x context, as Vert.x's own sockets do: at once when on its thread. */
  static Dispatch dispatch(Context context) {
    return new Dispatch((ContextInternal) context);
  }

  /** A context's dispatch: {@link #emit} runs the handler with the context as the current one. */
  static final class Dispatch {
    private final ContextInternal context;

    private Dispatch(ContextInternal context) {
      this.context = context;
    }

    /** Calls {@code handler} with {@code argument} on the context (inline when already on its event loop). */
    <T> void emit(T argument, Handler<T> handler) {
      context.emit(argument, handler);
    }

    /** The context's Netty event loop, where its channels' handlers run. */
    EventLoop eventLoop() {
      return context.nettyEventLoop();
    }
  }

  private static Method findCompleteHandshake() {
    try {
      Method method = Class.forName(RESPONSE_CLASS).getDeclaredMethod(COMPLETE_HANDSHAKE_METHOD);
      method.setAccessible(true);
      return method;
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.log(Level.FINE, "Vert.x's completeHandshake not found: its HTTP metrics will count raw WebSockets as open requests", e);
      return null;
    }
  }
}
