package io.livegate.rest;

import static io.livegate.testing.Await.await;
import static io.livegate.testing.Await.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.livegate.core.NodeConfig;
import io.livegate.core.NodeSettings;
import io.livegate.testing.SettableCluster;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SelfSignedCertificate;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The service token on what changes things (publish, send, admin), TLS on the port, and the warning when open. */
class ApiSecurityTest {
  private static final String TOKEN = "s3cret-service-token-0123456789";
  private final Vertx vertx = Vertx.vertx();
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final AtomicInteger drains = new AtomicInteger();
  private WebClient client;
  private int port;

  @AfterEach
  void stop() {
    if (client != null) client.close();
    await(vertx.close());
    registry.close();
  }

  @Test
  void publishSendAndAdminNeedTheServiceTokenWhileReadsDoNot() {
    start("--api-token", TOKEN);
    client = WebClient.create(vertx);

    for (String path : List.of("/api/publish/chat.lobby", "/api/send/chat.lobby", "/api/admin/drain")) {
      HttpResponse<Buffer> none = await(client.post(port, "127.0.0.1", path).sendBuffer(Buffer.buffer("{}")));
      assertUnauthorized(none);
      HttpResponse<Buffer> wrong = await(client.post(port, "127.0.0.1", path)
          .putHeader("Authorization", "Bearer " + TOKEN + "x").sendBuffer(Buffer.buffer("{}")));
      assertUnauthorized(wrong);
    }
    assertEquals(0, drains.get(), "no drain without the token");

    HttpResponse<Buffer> published = await(client.post(port, "127.0.0.1", "/api/publish/chat.lobby")
        .putHeader("Authorization", "Bearer " + TOKEN).sendBuffer(Buffer.buffer("{\"text\":\"hi\"}")));
    assertEquals(202, published.statusCode());
    assertEquals(200, await(client.get(port, "127.0.0.1", "/health").send()).statusCode());
    assertEquals(200, await(client.get(port, "127.0.0.1", "/api/cluster/nodes").send()).statusCode());
  }

  @Test
  void withACertificateTheApiAnswersHttpsAndAPlainRequestGetsNothing() {
    SelfSignedCertificate certificate = SelfSignedCertificate.create("localhost");
    start("--tls-cert", certificate.certificatePath(), "--tls-key", certificate.privateKeyPath());

    client = WebClient.create(vertx, new WebClientOptions().setSsl(true).setTrustOptions(certificate.trustOptions())
        .setVerifyHost(false));
    assertEquals(200, await(client.get(port, "127.0.0.1", "/health").send()).statusCode());

    WebClient plain = WebClient.create(vertx);
    try {
      failure(plain.get(port, "127.0.0.1", "/health").send(), 5);
    } finally {
      plain.close();
    }
  }

  @Test
  void pagesOfTheConfiguredOriginsMayCallTheApiAndOthersMayNot() {
    start("--cors-origins", "https://app.example");
    client = WebClient.create(vertx);
    HttpResponse<Buffer> preflight = await(client.request(io.vertx.core.http.HttpMethod.OPTIONS, port, "127.0.0.1",
        "/api/publish/chat.lobby").putHeader("Origin", "https://app.example")
        .putHeader("Access-Control-Request-Method", "POST").send());
    assertTrue(preflight.statusCode() / 100 == 2, "preflight " + preflight.statusCode());
    assertEquals("https://app.example", preflight.getHeader("Access-Control-Allow-Origin"));

    HttpResponse<Buffer> other = await(client.get(port, "127.0.0.1", "/events").putHeader("Origin", "https://evil.example").send());
    assertEquals(403, other.statusCode());
    assertNull(other.getHeader("Access-Control-Allow-Origin"));
  }

  @Test
  void withoutCorsOriginsNoPageOfAnotherSiteIsToldItMayRead() {
    start();
    client = WebClient.create(vertx);
    HttpResponse<Buffer> answer = await(client.get(port, "127.0.0.1", "/health").putHeader("Origin", "https://app.example").send());
    assertEquals(200, answer.statusCode());
    assertNull(answer.getHeader("Access-Control-Allow-Origin"));
  }

  @Test
  void anApiWithoutTokenBoundBeyondLoopbackIsReportedAsOpen() {
    NodeConfig open = config();
    assertNull(RestVerticle.openApiWarning(open, 8081), "loopback only: nobody else reaches it");
    NodeConfig everywhere = open.withListening("0.0.0.0", 0, 0);
    assertTrue(RestVerticle.openApiWarning(everywhere, 8081).startsWith("THE REST API IS OPEN on 0.0.0.0:8081"));
    NodeConfig guarded = NodeSettings.parse(new String[] {"--api-token", TOKEN}, Map.of()).config()
        .withListening("0.0.0.0", 0, 0);
    assertNull(RestVerticle.openApiWarning(guarded, 8081));
  }

  private void start(String... flags) {
    RestVerticle api = new RestVerticle(config(flags), new SettableCluster("self").setMembers(List.of()), registry, () -> true, drains::incrementAndGet);
    await(vertx.deployVerticle(api));
    port = api.actualPort();
  }

  private static void assertUnauthorized(HttpResponse<Buffer> response) {
    assertEquals(401, response.statusCode());
    JsonObject error = response.bodyAsJsonObject();
    assertEquals(401, error.getInteger("status"));
    assertTrue(error.getString("error").contains("service token"), error.encode());
    assertTrue(response.getHeader("WWW-Authenticate").startsWith("Bearer"));
  }

  /** The defaults with these flags, as a user gives them, on loopback and any free port. */
  private static NodeConfig config(String... flags) {
    return NodeSettings.parse(flags, Map.of()).config().withListening("127.0.0.1", 0, 0);
  }
}
