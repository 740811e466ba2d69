package io.livegate.bridge;

import static io.livegate.testing.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.Channel;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the node relies on of Vert.x beyond its API ({@link VertxInternals}), each with real connections: after a
 * Vert.x upgrade, a failure here names what changed. (Vert.x's HTTP metrics of a taken-over request:
 * {@code HttpMetricsTest}.)
 */
class VertxInternalsTest {
  private Vertx vertx;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() {
    await(vertx.close());
  }

  @Test
  void everyInternalTheNodeUsesIsThere() {
    assertEquals(List.of(), VertxInternals.missing(), "Vert.x no longer has these: see VertxInternals");
  }

  @Test
  void anHttp1RequestArrivesOnAVertxChannelWhosePipelineEndsInVertxsNamedHandler() {
    AtomicReference<Channel> seen = new AtomicReference<>();
    HttpServer server = await(vertx.createHttpServer().requestHandler(request -> {
      seen.set(VertxInternals.http1Channel(request.connection()));
      request.response().end("ok");
    }).listen(0, "127.0.0.1"));
    HttpClientAgent client = vertx.createHttpClient();
    await(client.request(HttpMethod.GET, server.actualPort(), "127.0.0.1", "/")
        .compose(request -> request.send().compose(response -> response.body())));
    assertNotNull(seen.get(), "the connection's channel, with Vert.x's handler named \""
        + VertxInternals.VERTX_HANDLER + "\": the raw WebSocket takes it over");
  }

  @Test
  void emitRunsTheHandlerAtOnceOnTheContextsOwnThreadWithTheContextCurrent() {
    Context context = vertx.getOrCreateContext();
    Promise<Boolean> inline = Promise.promise();
    context.runOnContext(v -> {
      boolean[] ran = new boolean[1];
      VertxInternals.dispatch(context).emit("event", event -> ran[0] = Vertx.currentContext() == context);
      inline.complete(ran[0]);
    });
    assertTrue(await(inline.future()), "the frame gate is asked inline: a frame waits for no queue");
    Promise<Boolean> onItsLoop = Promise.promise();
    context.runOnContext(v -> onItsLoop.complete(VertxInternals.dispatch(context).eventLoop().inEventLoop()));
    assertTrue(await(onItsLoop.future()), "the context's event loop is the Netty loop it runs on");
  }

  @Test
  void aBridgeShuttingDownClosesItsRawWebSocketsWith1001() throws IOException {
    BridgeVerticle bridge = new BridgeVerticle(BridgeTestBase.testConfig(), BridgeTestBase.oneNode(), new SimpleMeterRegistry());
    String deployment = await(vertx.deployVerticle(bridge));
    try (RawWireClient socket = new RawWireClient(bridge.port(), 0).open()) {
      socket.bridgePing();
      vertx.undeploy(deployment);
      RawWireClient.Frame close = socket.readClose();
      assertEquals(1001, close.status(), "Vert.x's shutdown event reached the taken-over channel");
    }
  }
}
