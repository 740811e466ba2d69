package io.livegate.examples.quote;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Locale;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The service itself, two consumers on the clustered event bus:
 * <ul>
 *   <li>{@code svc.quote}: a request {@code {"symbol":"ACME"}} gets {@code {"symbol":"ACME","price":123.45,
 *   "currency":"USD","at":"...","service":"quote-service"}}; a bad request a failure 400 (through the REST API's
 *   {@code /api/send}: 502 with {@code failureCode} 400);</li>
 *   <li>{@code chat.support}: a chat bot. Each line a person publishes there (a browser, {@code POST /api/publish})
 *   gets one answer on the same address, sent through {@code livegate.publish} so that the cluster keeps and numbers
 *   it like any other chat line. It answers at most {@link #REPLIES_PER_SECOND} lines a second, and never its own.</li>
 * </ul>
 * The price is a function of the symbol and the time, so the service keeps nothing per symbol.
 */
final class QuoteVerticle extends VerticleBase {
  static final String QUOTE_ADDRESS = "svc.quote";
  static final String SUPPORT_ADDRESS = "chat.support";
  /** Where a cluster member publishes so that the nodes keep and number it (README, History and recovery). */
  static final String KEPT_PUBLISH = "livegate.publish";
  static final int REPLIES_PER_SECOND = 10;
  private static final Logger LOG = Logger.getLogger(QuoteVerticle.class.getName());
  private static final Pattern SYMBOL = Pattern.compile("[A-Za-z0-9.]{1,12}");
  private static final Pattern ASKED = Pattern.compile("\\bquote\\s+([A-Za-z0-9.]{1,12})\\b", Pattern.CASE_INSENSITIVE);

  private final String botName;
  private long windowStartMs;
  private int repliesInWindow;
  private long lastFailureLogMs;

  QuoteVerticle(String botName) {
    this.botName = botName;
  }

  @Override
  public Future<?> start() {
    return vertx.eventBus().<Object>consumer(QUOTE_ADDRESS, this::answerQuote).completion()
        .compose(v -> vertx.eventBus().<Object>consumer(SUPPORT_ADDRESS, this::answerSupportLine).completion());
  }

  private void answerQuote(Message<Object> request) {
    String symbol = request.body() instanceof JsonObject json && json.getValue("symbol") instanceof String s ? s : null;
    if (symbol == null || !SYMBOL.matcher(symbol).matches()) {
      request.fail(400, "a quote request is {\"symbol\": \"<1 to 12 letters, digits or dots>\"}");
      return;
    }
    request.reply(quote(symbol.toUpperCase(Locale.ROOT), System.currentTimeMillis()));
  }

  static JsonObject quote(String symbol, long nowMs) {
    int hash = symbol.hashCode();
    double base = 20 + Math.floorMod(hash, 480);
    double drift = 1 + 0.02 * Math.sin(nowMs / 60_000.0 + hash);
    double price = Math.round(base * drift * 100) / 100.0;
    return new JsonObject().put("symbol", symbol).put("price", price).put("currency", "USD")
        .put("at", Instant.ofEpochMilli(nowMs).toString()).put("service", "quote-service");
  }

  /** A chat line is {@code {"from","text",...}} (the dashboard's); anything else is not for the bot. */
  private void answerSupportLine(Message<Object> line) {
    if (!(line.body() instanceof JsonObject json) || !(json.getValue("text") instanceof String text)) return;
    String from = json.getValue("from") instanceof String f ? f : "";
    if (from.equals(botName) || !withinRate()) return;
    JsonObject answer = new JsonObject().put("from", botName).put("text", replyTo(from, text))
        .put("sentAt", Instant.now().toString());
    vertx.eventBus().request(KEPT_PUBLISH, answer, new DeliveryOptions().addHeader("address", SUPPORT_ADDRESS))
        .onFailure(this::logFailure);
  }

  static String replyTo(String from, String text) {
    Matcher asked = ASKED.matcher(text);
    if (asked.find()) {
      JsonObject q = quote(asked.group(1).toUpperCase(Locale.ROOT), System.currentTimeMillis());
      return q.getString("symbol") + " is at " + q.getDouble("price") + " " + q.getString("currency") + ".";
    }
    String who = from.isBlank() ? "" : " " + (from.length() > 40 ? from.substring(0, 40) : from);
    return "Hello" + who + ", I am the support bot of the quote service: ask me \"quote ACME\".";
  }

  /** At most {@link #REPLIES_PER_SECOND} answers in any calendar second: a flood of lines costs a bounded echo. */
  private boolean withinRate() {
    long now = System.currentTimeMillis();
    if (now - windowStartMs >= 1000) {
      windowStartMs = now;
      repliesInWindow = 0;
    }
    return ++repliesInWindow <= REPLIES_PER_SECOND;
  }

  /** One line a minute at most: a cluster that cannot keep a publication says so every time. */
  private void logFailure(Throwable e) {
    long now = System.currentTimeMillis();
    if (now - lastFailureLogMs < 60_000) return;
    lastFailureLogMs = now;
    LOG.warning("a chat answer could not be published on " + SUPPORT_ADDRESS + ": " + e.getMessage());
  }
}
