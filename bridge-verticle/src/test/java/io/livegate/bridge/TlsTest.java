package io.livegate.bridge;

import static io.livegate.testing.Await.await;
import static io.livegate.testing.Await.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.livegate.core.Addresses;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SelfSignedCertificate;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** WSS on the bridge with a certificate the test makes: the raw WebSocket over TLS works, plain WS gets nothing. */
class TlsTest extends BridgeTestBase {

  @Test
  void aWssClientIsServedAndAPlainOneIsRefused() throws Exception {
    SelfSignedCertificate certificate = SelfSignedCertificate.create("localhost");
    int tlsPort = startAnotherBridge(testConfig("--tls-cert", certificate.certificatePath(),
        "--tls-key", certificate.privateKeyPath()));

    WebSocketClient wss = vertx.createWebSocketClient(new WebSocketClientOptions().setSsl(true)
        .setTrustOptions(certificate.trustOptions()).setVerifyHost(false));
    WebSocket ws = await(wss.connect(tlsPort, "127.0.0.1", "/eventbus/websocket"));
    CompletableFuture<JsonObject> pong = new CompletableFuture<>();
    ws.textMessageHandler(text -> pong.complete(new JsonObject(text)));
    ws.writeTextMessage(new JsonObject().put("type", "send").put("address", Addresses.BRIDGE_PING)
        .put("replyAddress", "r1").encode());
    JsonObject rec = pong.get(5, TimeUnit.SECONDS);
    assertEquals("r1", rec.getString("address"));
    assertEquals("PONG", rec.getJsonObject("body").getString("type"));
    await(ws.close());

    WebSocketClient plain = vertx.createWebSocketClient();
    failure(plain.connect(tlsPort, "127.0.0.1", "/eventbus/websocket"), 5);
  }
}
