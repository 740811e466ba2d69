package io.livegate.bench;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import org.HdrHistogram.Histogram;

/** Publishes through {@code POST /api/publish/{address}} of one node, over kept-alive connections. */
final class RestPublisher implements Publisher {
  private final BenchOptions opt;
  private final Vertx vertx;
  private final Context context;
  private final HttpClient http;
  private final RequestOptions[] targets;
  private final String pad;
  private volatile int inflight; // written on the context, read by the main thread while it drains
  private volatile long errors;
  private String firstError;
  private Histogram answerTimes = new Histogram(ClientGroup.HIGHEST_US, 3); // on the context

  private RestPublisher(BenchOptions opt) {
    this.opt = opt;
    this.vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setPreferNativeTransport(opt.nativeTransport()));
    this.context = vertx.getOrCreateContext();
    this.http = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
        new PoolOptions().setHttp1MaxSize(opt.publishConnections()));
    this.targets = new RequestOptions[opt.channels()];
    for (int k = 0; k < targets.length; k++) {
      URI uri = URI.create(opt.publishUrl().replace("{channel}",
          URLEncoder.encode(opt.channelAddress(k), StandardCharsets.UTF_8)));
      targets[k] = new RequestOptions().setMethod(HttpMethod.POST).setHost(uri.getHost()).setPort(uri.getPort())
          .setURI(uri.getRawPath()).putHeader(HttpHeaders.CONTENT_TYPE, "application/json").setTimeout(10_000);
    }
    this.pad = "x".repeat(opt.payload());
  }

  static Future<Publisher> start(BenchOptions opt) {
    return Future.succeededFuture(new RestPublisher(opt));
  }

  @Override
  public Context context() {
    return context;
  }

  @Override
  public void publish(int channel, long seq, long sentNanos) {
    if (inflight >= opt.maxInflight()) {
      failed("publisher backlog over --max-inflight");
      return;
    }
    inflight++;
    Buffer body = Buffer.buffer(Publisher.body(seq, sentNanos, pad));
    http.request(targets[channel])
        .compose(req -> req.send(body))
        .onComplete(r -> {
          inflight--;
          answerTimes.recordValue(Math.min(ClientGroup.HIGHEST_US, Math.max(0, (System.nanoTime() - sentNanos) / 1000)));
          if (r.failed()) {
            failed(r.cause().getMessage());
          } else {
            if (r.result().statusCode() >= 300) failed("HTTP " + r.result().statusCode());
            r.result().end(); // drain the small answer so the connection goes back to the pool
          }
        });
  }

  private void failed(String why) {
    errors++;
    if (firstError == null) firstError = why;
  }

  @Override
  public int inflight() {
    return inflight;
  }

  @Override
  public Histogram takeAnswerTimes() {
    Histogram taken = answerTimes;
    answerTimes = new Histogram(ClientGroup.HIGHEST_US, 3);
    return taken;
  }

  @Override
  public long errors() {
    return errors;
  }

  @Override
  public String firstError() {
    return firstError;
  }

  @Override
  public Future<Void> close() {
    return vertx.close();
  }
}
