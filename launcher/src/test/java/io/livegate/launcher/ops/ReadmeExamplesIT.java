package io.livegate.launcher.ops;

import static io.livegate.testing.FreePorts.freePort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README's examples, as a newcomer runs them: two nodes from the jar and the example service from its jar (what
 * {@code scripts/start-local-cluster.sh} starts), then every {@code curl} line of "Try it" with the status its comment
 * promises and the body shape its path has, and "Add a node": the node it starts joins under its name and drains with
 * the README's command. The README's ports stand for the test's free ones. A curl line this test cannot read, or whose
 * path it has no shape for, fails it: the README cannot drift from the product unnoticed.
 */
class ReadmeExamplesIT {
  private static final Path README = Path.of("..", "README.md");
  private static final Path SERVICE_JAR = Path.of("..", "examples", "quote-service", "target", "quote-service.jar");
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private static final Pattern COMMENT = Pattern.compile("\\s#\\s*\\d{3}\\b");
  private static final Pattern STATUS = Pattern.compile("#\\s*(\\d{3})\\b:?\\s*(\\{.*\\})?");

  /** One curl line of the README: what it asks, and what its comment says it gets. */
  record Example(String line, String method, int readmePort, String path, String body, int status, String exactJson) {}

  @Test
  void everyExampleOfTheReadmeAnswersAsTheReadmeSays() throws Exception {
    String readme = Files.readString(README);
    List<Example> examples = curlLines(codeBlockAfter(readme, "## Try it")).stream().map(ReadmeExamplesIT::parse).toList();
    assertTrue(examples.size() >= 5, "the README's Try it shows its curl lines: " + examples);
    assertTrue(Files.isRegularFile(SERVICE_JAR), SERVICE_JAR + " is missing: build examples/quote-service first "
        + "(mvn package from the root builds it before the launcher)");
    Path logs = Path.of("target", "ops-it-readme");
    String clusterName = "readme-" + UUID.randomUUID();
    List<Integer> clusterPorts = List.of(freePort(), freePort(), freePort());
    List<String> members = clusterPorts.stream().map(p -> "127.0.0.1:" + p).toList();
    Process service = null;
    try (JarNode one = JarNode.start(jar(), logs, "node1", clusterName, clusterPorts.get(0), members, List.of());
         JarNode two = JarNode.start(jar(), logs, "node2", clusterName, clusterPorts.get(1), members, List.of())) {
      service = new ProcessBuilder(java(), "-Xmx128m", "-jar", SERVICE_JAR.toString(), "--cluster-name", clusterName,
          "--members", String.join(",", members), "--cluster-port", String.valueOf(freePort()))
          .redirectErrorStream(true).redirectOutput(logs.resolve("quote-service.log").toFile()).start();
      Map<Integer, Integer> ports = new HashMap<>(Map.of(8080, one.bridgePort, 8081, one.apiPort, 8082, two.bridgePort,
          8083, two.apiPort));
      awaitService(one);

      for (Example example : examples) {
        ChatWatch chat = example.path().equals("/api/publish/chat.support") ? ChatWatch.open(two.bridgePort) : null;
        HttpResponse<String> answer = run(example, ports);
        assertEquals(example.status(), answer.statusCode(), example.line() + " -> " + answer.body());
        checkShape(example, answer.body());
        if (chat != null) chat.expectBotAnswerStartingWith("ACME is at ", example.line());
      }

      addANodeAsTheReadmeSays(readme, clusterName, clusterPorts.get(2), members, logs, one, ports);
    } finally {
      if (service != null) {
        service.destroy();
        if (!service.waitFor(20, TimeUnit.SECONDS)) service.destroyForcibly().waitFor();
      }
    }
  }

  /** "Add a node": its java command (the test's ports for the README's) joins, then its drain command drains it. */
  private static void addANodeAsTheReadmeSays(String readme, String clusterName, int clusterPort, List<String> members,
      Path logs, JarNode one, Map<Integer, Integer> ports) throws Exception {
    String section = section(readme, "## Add a node");
    String command = curlLinesOrCommands(codeBlockAfter(readme, "## Add a node"), "java -jar").get(0);
    List<String> args = words(command.substring(command.indexOf(".jar") + 4));
    String name = null;
    List<String> settings = new ArrayList<>();
    for (int i = 0; i < args.size(); i += 2) {
      String flag = args.get(i);
      if (flag.equals("--node-name")) name = args.get(i + 1);
      // The test's free ports stand for the README's: JarNode gives the node its own.
      if (!flag.equals("--bridge-port") && !flag.equals("--api-port")) settings.addAll(List.of(flag, args.get(i + 1)));
    }
    assertNotNull(name, "the README's added node has a --node-name: " + command);
    int readmeApiPort = Integer.parseInt(args.get(args.indexOf("--api-port") + 1));
    try (JarNode three = JarNode.start(jar(), logs, "node3", clusterName, clusterPort, members, settings)) {
      String expected = name;
      assertTrue(eventually(() -> one.clusterNodes().stream().map(JsonObject.class::cast)
          .anyMatch(n -> expected.equals(n.getString("name")) && "ready".equals(n.getString("state")))),
          "node '" + name + "' listed by node 1, ready: " + one.clusterNodes());
      ports.put(readmeApiPort, three.apiPort);
      Matcher drain = Pattern.compile("`(curl -XPOST [^`]*/api/admin/drain)`").matcher(section);
      assertTrue(drain.find(), "the README says how to drain the added node: " + section);
      Example example = parse(drain.group(1) + "   # 202");
      HttpResponse<String> answer = run(example, ports);
      assertEquals(202, answer.statusCode(), answer.body());
      assertEquals(true, new JsonObject(answer.body()).getBoolean("draining"), answer.body());
      assertEquals(0, three.awaitExit(30), "the drained node exits 0: " + three.logText());
      assertTrue(eventually(() -> one.clusterNodes().stream().map(JsonObject.class::cast)
          .noneMatch(n -> expected.equals(n.getString("name")))), "node '" + name + "' gone from node 1's list");
    }
  }

  /** The shape each path of the README answers with; a path without one fails the test. */
  private static void checkShape(Example example, String body) {
    if (example.exactJson() != null) {
      assertEquals(new JsonObject(example.exactJson()), new JsonObject(body), example.line());
      return;
    }
    String path = example.path();
    if (path.equals("/events")) {
      JsonArray events = new JsonArray(body);
      assertEquals(5, events.size(), body);
      events.stream().map(JsonObject.class::cast).forEach(e -> assertTrue(e.containsKey("id") && e.containsKey("score")
          && e.containsKey("version"), e.encode()));
    } else if (path.equals("/api/cluster/nodes")) {
      JsonArray nodes = new JsonArray(body);
      List<JsonObject> livegate = nodes.stream().map(JsonObject.class::cast).filter(n -> !n.getJsonArray("roles").isEmpty())
          .toList();
      assertEquals(2, livegate.size(), "both nodes, from either: " + body);
      livegate.forEach(n -> assertTrue(n.getInteger("bridgePort") != null && n.getInteger("apiPort") != null
          && "ready".equals(n.getString("state")) && n.getString("name") != null, n.encode()));
      assertTrue(nodes.stream().map(JsonObject.class::cast).anyMatch(n -> n.getJsonArray("roles").isEmpty()),
          "the quote service, a lite member, is listed too: " + body);
    } else if (path.startsWith("/api/publish/")) {
      JsonObject published = new JsonObject(body);
      assertEquals(path.substring("/api/publish/".length()), published.getString("address"), body);
      assertEquals(true, published.getBoolean("published"), body);
    } else if (path.startsWith("/api/send/svc.quote")) {
      JsonObject quote = new JsonObject(body);
      assertEquals(new JsonObject(example.body()).getString("symbol"), quote.getString("symbol"), body);
      assertTrue(quote.getValue("price") instanceof Number && "USD".equals(quote.getString("currency")), body);
    } else if (path.startsWith("/api/presence/")) {
      JsonObject listed = new JsonObject(body);
      assertEquals(path.substring("/api/presence/".length()), listed.getString("address"), body);
      assertEquals(listed.getJsonArray("members").size(), listed.getInteger("count"), body);
    } else {
      throw new AssertionError("the README shows " + example.line() + ": give its path a shape in this test");
    }
  }

  private static HttpResponse<String> run(Example example, Map<Integer, Integer> ports) throws Exception {
    Integer port = ports.get(example.readmePort());
    assertNotNull(port, "the README's port " + example.readmePort() + " is none of the started nodes': " + example.line());
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + example.path()))
        .timeout(Duration.ofSeconds(10));
    if (example.method().equals("POST")) {
      // What curl -d sends: the body, as a form's content type.
      request.header("Content-Type", "application/x-www-form-urlencoded")
          .POST(example.body() == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(example.body()));
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** A curl line: {@code curl -s [-XPOST] ['][localhost]:PORT/path['] [-d 'body']   # STATUS[: words | JSON]}. */
  static Example parse(String line) {
    Matcher start = COMMENT.matcher(line);
    int hash = start.find() ? start.start() : -1;
    String command = hash < 0 ? line : line.substring(0, hash);
    Matcher comment = STATUS.matcher(hash < 0 ? "" : line.substring(hash).trim());
    assertTrue(comment.lookingAt(), "a README curl line says the status it gets (# 200: ...): " + line);
    List<String> words = words(command);
    String method = words.contains("-XPOST") ? "POST" : "GET";
    String url = words.stream().filter(w -> w.startsWith("localhost:")).findFirst()
        .orElseThrow(() -> new AssertionError("no localhost:PORT/path in " + line));
    int slash = url.indexOf('/');
    int port = Integer.parseInt(url.substring("localhost:".length(), slash));
    int d = words.indexOf("-d");
    return new Example(line, method, port, url.substring(slash), d < 0 ? null : words.get(d + 1),
        Integer.parseInt(comment.group(1)), comment.group(2));
  }

  /** Shell words: split on spaces, single-quoted parts kept whole (what the README's lines use). */
  static List<String> words(String command) {
    List<String> words = new ArrayList<>();
    Matcher word = Pattern.compile("'([^']*)'|(\\S+)").matcher(command);
    while (word.find()) words.add(word.group(1) != null ? word.group(1) : word.group(2));
    return words;
  }

  private static String section(String readme, String heading) {
    int start = readme.indexOf("\n" + heading + "\n");
    assertTrue(start >= 0, "the README has a section " + heading);
    int end = readme.indexOf("\n## ", start + heading.length() + 2);
    return readme.substring(start, end < 0 ? readme.length() : end);
  }

  private static String codeBlockAfter(String readme, String heading) {
    String section = section(readme, heading);
    int open = section.indexOf("```sh\n");
    assertTrue(open >= 0, "a sh block in " + heading);
    return section.substring(open + 6, section.indexOf("```", open + 6));
  }

  private static List<String> curlLines(String block) {
    return curlLinesOrCommands(block, "curl ");
  }

  private static List<String> curlLinesOrCommands(String block, String start) {
    return block.lines().map(String::trim).filter(l -> l.startsWith(start)).toList();
  }

  /** The service's consumers reach the nodes' view of the subscriptions a moment after it joined. */
  private static void awaitService(JarNode node) throws Exception {
    assertTrue(eventually(() -> node.post("/api/send/svc.quote?timeout=1000", "{\"symbol\":\"X\"}").statusCode() == 200),
        "the quote service answers svc.quote");
  }

  private interface Check {
    boolean holds() throws Exception;
  }

  private static boolean eventually(Check check) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      try {
        if (check.holds()) return true;
      } catch (Exception notYet) {
        // not answering yet
      }
      Thread.sleep(200);
    }
    return false;
  }

  private static Path jar() {
    return Path.of(System.getProperty("livegate.jar", "target/livegate-node.jar"));
  }

  private static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /** A raw WebSocket registered on chat.support, as a page of the support chat would be. */
  private static final class ChatWatch implements WebSocket.Listener {
    private final LinkedBlockingQueue<JsonObject> frames = new LinkedBlockingQueue<>();
    private final StringBuilder partial = new StringBuilder();
    private WebSocket socket;

    static ChatWatch open(int bridgePort) throws Exception {
      ChatWatch watch = new ChatWatch();
      watch.socket = HTTP.newWebSocketBuilder()
          .buildAsync(URI.create("ws://127.0.0.1:" + bridgePort + "/eventbus/websocket"), watch).get(10, TimeUnit.SECONDS);
      watch.socket.sendText(new JsonObject().put("type", "register").put("address", "chat.support").encode(), true)
          .get(5, TimeUnit.SECONDS);
      // The bridge answers a ping once the register before it is taken: then a publication reaches this socket.
      watch.socket.sendText(new JsonObject().put("type", "send").put("address", "bridge.ping").put("replyAddress", "r1")
          .encode(), true).get(5, TimeUnit.SECONDS);
      JsonObject pong = watch.frames.poll(10, TimeUnit.SECONDS);
      assertNotNull(pong, "the bridge answers a ping");
      return watch;
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        frames.add(new JsonObject(partial.toString()));
        partial.setLength(0);
      }
      webSocket.request(1);
      return null;
    }

    void expectBotAnswerStartingWith(String start, String line) throws Exception {
      try {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
          JsonObject frame = frames.poll(1, TimeUnit.SECONDS);
          if (frame == null || !"chat.support".equals(frame.getString("address"))) continue;
          JsonObject chatLine = frame.getJsonObject("body");
          if (!"quote-bot".equals(chatLine.getString("from"))) continue;
          assertTrue(chatLine.getString("text").startsWith(start), chatLine.encode());
          assertFalse(frame.getJsonObject("headers", new JsonObject()).getString("offset", "").isEmpty(),
              "the bot's answer is kept and numbered: " + frame.encode());
          return;
        }
        throw new AssertionError("no answer of the bot on chat.support after " + line);
      } finally {
        socket.abort();
      }
    }
  }
}
