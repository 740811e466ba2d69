package io.livegate.bench;

import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * The clients of one event-loop thread. Each client is a raw WebSocket to a bridge that registers on one
 * address, pings every 5 s (the bridge closes a socket silent for 10 s) and reads rec frames. The latency
 * histogram is written by this thread only; the counters are read by the main thread while it waits.
 */
final class ClientGroup extends VerticleBase {
  static final long HIGHEST_US = 120_000_000L;
  private static final String PING = "{\"type\":\"ping\"}";
  private static final int PING_SLICES = 20; // 1/20 of the clients every 250 ms: each pings every 5 s
  private static final long LOOP_PROBE_MS = 10;

  /** The sequence numbers of the step being measured, [from, to); others are late or unmeasured. */
  static final class Window {
    volatile long from;
    volatile long to;
  }

  private static final class Client {
    final int channel;
    WebSocket ws;
    long lastSentNanos; // register or ping: the server closes a socket silent for its idle timeout
    boolean open;
    boolean ready;

    Client(int channel) {
      this.channel = channel;
    }
  }

  private final BenchOptions opt;
  private final Window window;
  private final AtomicIntegerArray perChannel;
  private final List<Client> clients = new ArrayList<>();
  private final Map<String, WebSocketClient> wsClients = new HashMap<>();
  private Histogram latencyUs = new Histogram(HIGHEST_US, 3);
  private Histogram loopDelayUs = new Histogram(HIGHEST_US, 3);
  private long pingTick;

  final AtomicLong delivered = new AtomicLong();
  final AtomicLong late = new AtomicLong();
  final AtomicLong unmeasured = new AtomicLong();
  final AtomicInteger open = new AtomicInteger();
  final AtomicInteger ready = new AtomicInteger();
  final AtomicInteger serverErrors = new AtomicInteger();
  /** Open clients whose socket the server (or the network) closed: the generator closes none before the end. */
  final AtomicInteger closedByServer = new AtomicInteger();
  volatile long firstCloseNanos;
  volatile String firstCloseReason;
  private boolean closing;
  volatile long lastDeliveryNanos;
  volatile String firstServerError;

  ClientGroup(BenchOptions opt, Window window, AtomicIntegerArray perChannel) {
    this.opt = opt;
    this.window = window;
    this.perChannel = perChannel;
  }

  @Override
  public Future<?> start() {
    vertx.setPeriodic(5000 / PING_SLICES, id -> pingSlice());
    probeLoop(System.nanoTime());
    return Future.succeededFuture();
  }

  /** Result of connecting this group's share of the clients. */
  record Connected(int connected, int failures, String firstError) {}

  /** Connects clients {@code indexes} (global numbers), at most {@code concurrency} handshakes at a time. */
  Future<Connected> connect(List<Integer> indexes, int concurrency) {
    ConnectBatch batch = new ConnectBatch(indexes, concurrency);
    context.runOnContext(v -> batch.pump());
    return batch.done.future();
  }

  /** A bounded number of handshakes in flight; each one that ends starts the next. On this group's context. */
  private final class ConnectBatch {
    private final List<Integer> indexes;
    private final int concurrency;
    private final Promise<Connected> done = Promise.promise();
    private int next;
    private int inFlight;
    private int connected;
    private int failures;
    private String firstError;

    ConnectBatch(List<Integer> indexes, int concurrency) {
      this.indexes = indexes;
      this.concurrency = concurrency;
    }

    void pump() {
      while (inFlight < concurrency && next < indexes.size()) {
        inFlight++;
        connectOne(indexes.get(next++)).onComplete(this::ended);
      }
      if (inFlight == 0 && next >= indexes.size()) done.tryComplete(new Connected(connected, failures, firstError));
    }

    private void ended(AsyncResult<Void> result) {
      inFlight--;
      if (result.succeeded()) {
        connected++;
      } else {
        failures++;
        if (firstError == null) firstError = String.valueOf(result.cause().getMessage());
      }
      pump();
    }
  }

  private Future<Void> connectOne(int i) {
    URI url = opt.urls().get(i % opt.urls().size());
    String local = opt.localAddresses().isEmpty() ? "" : opt.localAddresses().get(i % opt.localAddresses().size());
    WebSocketClient wsClient = wsClients.computeIfAbsent(local, this::newWsClient);
    Client client = new Client(i % opt.channels());
    String register = "{\"type\":\"register\",\"address\":\"" + opt.channelAddress(client.channel) + "\"}";
    WebSocketConnectOptions options = new WebSocketConnectOptions()
        .setHost(url.getHost()).setPort(url.getPort()).setURI(url.getRawPath())
        .setTimeout(opt.connectTimeoutMs()).setConnectTimeout(opt.connectTimeoutMs());
    return wsClient.connect(options).map(ws -> {
      client.ws = ws;
      ws.handler(frame -> onFrame(client, frame));
      ws.closeHandler(x -> onClosed(client));
      ws.exceptionHandler(e -> { }); // a reset shows as a close; counted there
      client.open = true;
      open.incrementAndGet();
      perChannel.incrementAndGet(client.channel);
      clients.add(client);
      ws.writeTextMessage(register);
      client.lastSentNanos = System.nanoTime();
      return null;
    });
  }

  private WebSocketClient newWsClient(String localAddress) {
    WebSocketClientOptions options = new WebSocketClientOptions()
        .setMaxConnections(Math.max(50, opt.clients()))
        .setConnectTimeout(opt.connectTimeoutMs());
    if (!localAddress.isEmpty()) options.setLocalAddress(localAddress);
    return vertx.createWebSocketClient(options);
  }

  /** The hot path: one rec frame. */
  private void onFrame(Client client, Buffer frame) {
    long now = System.nanoTime();
    long seq = FrameScan.seq(frame);
    if (seq == FrameScan.NONE) {
      if (FrameScan.isError(frame)) {
        serverErrors.incrementAndGet();
        if (firstServerError == null) firstServerError = frame.toString();
      }
      return;
    }
    if (!client.ready) {
      client.ready = true;
      ready.incrementAndGet();
    }
    if (seq < 0) { // probe or warm-up
      unmeasured.incrementAndGet();
      return;
    }
    if (seq < window.from || seq >= window.to) {
      late.incrementAndGet();
      return;
    }
    long sent = FrameScan.sent(frame);
    long us = TimeUnit.NANOSECONDS.toMicros(now - sent);
    latencyUs.recordValue(Math.max(0, Math.min(HIGHEST_US, us)));
    delivered.incrementAndGet();
    lastDeliveryNanos = now;
  }

  private void onClosed(Client client) {
    if (!client.open) return;
    client.open = false;
    if (!closing && closedByServer.getAndIncrement() == 0) {
      firstCloseNanos = System.nanoTime();
      firstCloseReason = (client.ws.closeStatusCode() == null ? "no close frame (connection reset or ended)"
          : "close frame " + client.ws.closeStatusCode() + " " + client.ws.closeReason())
          + ", " + TimeUnit.NANOSECONDS.toMillis(firstCloseNanos - client.lastSentNanos) + " ms after this client's last frame";
    }
    open.decrementAndGet();
    perChannel.decrementAndGet(client.channel);
  }

  private void pingSlice() {
    long slice = pingTick++ % PING_SLICES;
    for (int i = (int) slice; i < clients.size(); i += PING_SLICES) {
      Client c = clients.get(i);
      if (c.open) {
        c.ws.writeTextMessage(PING);
        c.lastSentNanos = System.nanoTime();
      }
    }
  }

  /** Event-loop delay of this thread: how late a 10 ms timer fires (the generator's own queueing). */
  private void probeLoop(long scheduledAt) {
    vertx.setTimer(LOOP_PROBE_MS, id -> {
      long due = scheduledAt + TimeUnit.MILLISECONDS.toNanos(LOOP_PROBE_MS);
      long now = System.nanoTime();
      loopDelayUs.recordValue(Math.max(0, Math.min(HIGHEST_US, TimeUnit.NANOSECONDS.toMicros(now - due))));
      probeLoop(now);
    });
  }

  /** The histograms since the last call, and fresh ones from now on. */
  Future<Histogram[]> takeHistograms() {
    Promise<Histogram[]> p = Promise.promise();
    context.runOnContext(v -> {
      Histogram[] h = {latencyUs, loopDelayUs};
      latencyUs = new Histogram(HIGHEST_US, 3);
      loopDelayUs = new Histogram(HIGHEST_US, 3);
      p.complete(h);
    });
    return p.future();
  }

  Future<Void> closeAll() {
    Promise<Void> p = Promise.promise();
    context.runOnContext(v -> {
      closing = true;
      for (Client c : clients) {
        if (c.open) c.ws.close();
      }
      p.complete();
    });
    return p.future();
  }
}
