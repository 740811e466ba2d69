package io.livegate.bridge;

import io.livegate.core.NodeConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.PatternSyntaxException;

/**
 * Who a browser connection is and what it may reach: anonymous (the configured addresses), or the holder of a
 * token (a JWT given as the {@code token} query parameter when connecting) whose {@code channels} claim grants
 * address patterns, until the token expires. The one place that reads tokens.
 *
 * <p>{@code channels}: a list of regular expressions for both directions, or
 * {@code {"subscribe": [...], "publish": [...]}}: what the browser may register on, and send or publish to.
 */
final class BrowserAuth {
  /** What a connection may reach, and until when (epoch ms; 0: no end). */
  /** @param subject the token's {@code sub} (who it is, as presence shows it), or null: anonymous */
  record Admission(PermittedAddresses permitted, long expiresAtMillis, String subject) {}

  /** The longest {@code sub} shown as who a connection is; a longer one is not shown (the connection's id is). */
  static final int MAX_SUBJECT_LENGTH = 128;

  /** A connection not admitted: the reason is the body of the err frame it gets before it is closed. */
  static final class Refused extends RuntimeException {
    Refused(String reason) {
      super(reason, null, false, false);
    }

    String reason() {
      return getMessage();
    }
  }

  private static final int GRANTS_CACHED = 256;

  private final JWTAuth jwt;
  private final boolean anonymous;
  private final PermittedAddresses anonymousPermitted;
  /** Many browsers hold tokens with the same claim: its patterns are compiled once. */
  private final Map<String, PermittedAddresses> grants = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, PermittedAddresses> eldest) {
      return size() > GRANTS_CACHED;
    }
  };

  BrowserAuth(Vertx vertx, NodeConfig.BrowserTokens tokens, PermittedAddresses anonymousPermitted) {
    this.jwt = tokens.enabled() ? JWTAuth.create(vertx, jwtOptions(tokens)) : null;
    this.anonymous = tokens.anonymous();
    this.anonymousPermitted = anonymousPermitted;
  }

  /** The admission of a connection that gave {@code token} (null or empty: none); failed with a {@link Refused}. */
  Future<Admission> admit(String token) {
    if (token == null || token.isEmpty() || jwt == null) {
      // Without token checking configured, a token means nothing: the browser is anonymous like any other.
      return anonymous ? Future.succeededFuture(new Admission(anonymousPermitted, 0, null))
          : Future.failedFuture(new Refused(BridgeErrors.TOKEN_REQUIRED));
    }
    return jwt.authenticate(new TokenCredentials(token)).transform(checked -> {
      if (checked.failed()) {
        String why = String.valueOf(checked.cause().getMessage());
        return Future.failedFuture(new Refused(why.contains("expired") ? BridgeErrors.TOKEN_EXPIRED : BridgeErrors.INVALID_TOKEN));
      }
      JsonObject claims = checked.result().attributes().getJsonObject("accessToken", new JsonObject());
      PermittedAddresses permitted = grantsOf(claims.getValue("channels"));
      if (permitted == null) return Future.failedFuture(new Refused(BridgeErrors.INVALID_TOKEN));
      Object exp = claims.getValue("exp");
      Object sub = claims.getValue("sub");
      String subject = sub instanceof String text && !text.isEmpty() && text.length() <= MAX_SUBJECT_LENGTH ? text : null;
      return Future.succeededFuture(new Admission(permitted, exp instanceof Number n ? n.longValue() * 1000 : 0, subject));
    });
  }

  @Override
  public String toString() {
    return (jwt == null ? "no browser tokens" : "browser tokens (JWT)") + (anonymous ? ", anonymous browsers let in" : ", no anonymous browsers");
  }

  /** The patterns of a {@code channels} claim, or null if it is missing or malformed (the token is then refused). */
  private PermittedAddresses grantsOf(Object channels) {
    if (channels == null) return null;
    String key = channels.toString();
    PermittedAddresses cached = grants.get(key);
    if (cached != null) return cached;
    List<String> subscribe;
    List<String> publish;
    if (channels instanceof JsonArray both) {
      subscribe = publish = strings(both);
    } else if (channels instanceof JsonObject split) {
      subscribe = strings(split.getValue("subscribe"));
      publish = strings(split.getValue("publish"));
    } else {
      return null;
    }
    if (subscribe == null || publish == null) return null;
    try {
      PermittedAddresses permitted = new PermittedAddresses(publish, subscribe);
      grants.put(key, permitted);
      return permitted;
    } catch (PatternSyntaxException e) {
      return null;
    }
  }

  /** A JSON array of strings as a list; an absent one as empty; anything else null. */
  private static List<String> strings(Object value) {
    if (value == null) return List.of();
    if (!(value instanceof JsonArray array)) return null;
    List<String> out = new ArrayList<>();
    for (Object item : array) {
      if (!(item instanceof String s)) return null;
      out.add(s);
    }
    return out;
  }

  private static JWTAuthOptions jwtOptions(NodeConfig.BrowserTokens tokens) {
    PubSecKeyOptions key = tokens.hs256Secret() != null
        ? new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(tokens.hs256Secret())
        : new PubSecKeyOptions().setAlgorithm("RS256").setBuffer(tokens.rs256KeyPem());
    return new JWTAuthOptions().addPubSecKey(key);
  }
}
