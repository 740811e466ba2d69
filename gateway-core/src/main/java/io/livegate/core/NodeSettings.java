package io.livegate.core;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Every setting of a node, each with a flag, an environment variable and a default, declared once here: parsed into a
 * {@link NodeConfig} (a flag wins over the environment, the environment over the default), printed by {@code --help}
 * ({@link #usage()}), and the defaults of {@link NodeConfig#defaults()}. The settings table of docs/reference.md is
 * checked against this list by a test ({@code SettingsDocumentationTest}).
 */
public final class NodeSettings {

  /** A setting the user got wrong; the message is the one line the user sees. */
  public static final class BadSetting extends RuntimeException {
    public BadSetting(String message) {
      super(message);
    }
  }

  /** One setting: its flag, its environment variable, its default as the user would write it, and its help line. */
  public record Setting(String flag, String env, String defaultValue, String help) {}

  private static final List<Setting> SETTINGS = List.of(
      new Setting("--roles", "BRIDGE_ROLES", "bridge,rest,simulator", "roles of this node: any of bridge, rest, simulator"),
      new Setting("--bridge-port", "BRIDGE_PORT", "8080", "browser-facing port: dashboard and /eventbus"),
      new Setting("--api-port", "API_PORT", "8081", "REST API port"),
      new Setting("--http-host", "HTTP_HOST", "0.0.0.0", "interface the bridge and REST ports listen on"),
      new Setting("--cluster-host", "CLUSTER_HOST", "127.0.0.1", "address this node binds and advertises to the cluster"),
      new Setting("--cluster-port", "CLUSTER_PORT", "5701", "first cluster (Hazelcast) port tried; the next free one is taken"),
      new Setting("--eventbus-port", "EVENTBUS_PORT", "0",
          "clustered event bus TCP port (open it between hosts); 0: any free one"),
      new Setting("--members", "CLUSTER_MEMBERS", "127.0.0.1", "cluster member list, comma separated host[:port]"),
      new Setting("--cluster-name", "CLUSTER_NAME", "livegate", "only nodes with the same name form a cluster"),
      new Setting("--cluster-config", "CLUSTER_CONFIG", "", "Hazelcast XML file (default: cluster.xml packaged in the jar)"),
      new Setting("--bridge-inbound", "BRIDGE_INBOUND", String.join(",", Addresses.DEFAULT_INBOUND),
          "addresses a browser may send/publish to: comma separated regular expressions"),
      new Setting("--bridge-outbound", "BRIDGE_OUTBOUND", String.join(",", Addresses.DEFAULT_OUTBOUND),
          "addresses a browser may register on: comma separated regular expressions"),
      new Setting("--simulator-min-ms", "SIMULATOR_MIN_MS", "2000", "shortest interval between two changes of an event"),
      new Setting("--simulator-max-ms", "SIMULATOR_MAX_MS", "7000", "longest interval between two changes of an event"),
      new Setting("--send-timeout-ms", "SEND_TIMEOUT_MS", "5000", "default reply timeout for sends (REST and bridge)"),
      new Setting("--max-body-bytes", "MAX_BODY_BYTES", "65536", "largest REST request body (413 beyond)"),
      new Setting("--max-frame-bytes", "MAX_FRAME_BYTES", "65536", "largest bridge frame from a browser"),
      new Setting("--idle-timeout-ms", "IDLE_TIMEOUT_MS", "10000", "close a bridge socket silent (no frame, no ping) this long"),
      new Setting("--max-queued-bytes", "MAX_QUEUED_BYTES", "1048576",
          "what the node may hold for one bridge connection (frames and pongs waiting to be sent to it, a message it "
              + "is sending in fragments); beyond, it is dropped: a client that does not read"),
      new Setting("--max-registrations", "MAX_REGISTRATIONS", "64", "addresses one bridge socket may register on"),
      new Setting("--max-frames-per-second", "MAX_FRAMES_PER_SECOND", "100",
          "frames a bridge socket may send a second (burst: twice); beyond, refused; a second's worth refused: closed"),
      new Setting("--max-connections", "MAX_CONNECTIONS", "50000", "bridge connections one node holds; beyond, refused"),
      new Setting("--max-registrations-per-second", "MAX_REGISTRATIONS_PER_SECOND", "10",
          "new registrations a bridge socket may make a second (burst: --max-registrations or twice this, the larger);"
              + " beyond, refused (rate_limited)"),
      new Setting("--max-addresses", "MAX_ADDRESSES", "20000",
          "distinct addresses this node's browsers may be registered on together (each is an entry in every node's "
              + "copy of the cluster's subscriptions); beyond, a register on a new one is refused (too_many_addresses)"),
      new Setting("--history-addresses", "HISTORY_ADDRESSES", String.join(",", Addresses.DEFAULT_HISTORY),
          "addresses whose publications the cluster keeps, numbered, for browsers that reconnect to have what they "
              + "missed: comma separated regular expressions; empty: none"),
      new Setting("--presence-addresses", "PRESENCE_ADDRESSES", String.join(",", Addresses.DEFAULT_PRESENCE),
          "addresses whose registered browsers the cluster lists (presence.<address>, GET /api/presence/<address>): "
              + "comma separated regular expressions; empty: none"),
      new Setting("--max-presence-entries", "MAX_PRESENCE_ENTRIES", "100000",
          "presence entries this node's browsers may hold together (one per connection and address); beyond, a "
              + "register stands but is not shown (presence_full)"),
      new Setting("--min-cluster-size", "MIN_CLUSTER_SIZE", "1",
          "fewest members this node must see to serve (a majority of the cluster, e.g. 2 of 3): below, it is on the "
              + "minority side of a split and runs no simulator, answers /ready 503 and closes its browsers with 1012"),
      new Setting("--history-size", "HISTORY_SIZE", "1000", "publications kept per address (the newest)"),
      new Setting("--history-ttl-ms", "HISTORY_TTL_MS", "300000", "how long a kept publication is kept"),
      new Setting("--history-max-addresses", "HISTORY_MAX_ADDRESSES", "1000",
          "addresses whose history one node holds; beyond, the least used one's is dropped (its next publication "
              + "starts a new epoch)"),
      new Setting("--history-address-bytes", "HISTORY_ADDRESS_BYTES", "262144",
          "what one address's history may take (bodies and headers); beyond, its oldest publications are dropped"),
      new Setting("--http-header-timeout-ms", "HTTP_HEADER_TIMEOUT_MS", "10000",
          "close an HTTP connection (either port) that has not sent a request's headers this long after it opened or "
              + "after its previous answer; 0: never"),
      new Setting("--http-body-timeout-ms", "HTTP_BODY_TIMEOUT_MS", "30000",
          "answer 408 and close when a request's body has not all arrived this long after its headers; 0: never"),
      new Setting("--max-unfinished-connections", "MAX_UNFINISHED_CONNECTIONS", "10000",
          "HTTP connections per port that have not sent a whole request (or are idle between two); beyond, the "
              + "longest waiting is closed (if it waited 1 s; else the new one)"),
      new Setting("--fd-reserve", "FD_RESERVE", "2048",
          "file descriptors kept free: the bridge port admits connections while more are free, the REST port while "
              + "more than a quarter as many are; 0: none"),
      new Setting("--api-token", "API_TOKEN", "",
          "bearer token required by the REST API's /api/publish, /api/send and /api/admin (default: open)"),
      new Setting("--tls-cert", "TLS_CERT", "", "PEM certificate: HTTPS and WSS on the bridge and REST ports"),
      new Setting("--tls-key", "TLS_KEY", "", "PEM private key of --tls-cert"),
      new Setting("--allowed-origins", "ALLOWED_ORIGINS", "",
          "browser origins besides the bridge's own that may connect, comma separated; * for any (default: same origin)"),
      new Setting("--cors-origins", "CORS_ORIGINS", "", "origins whose pages may call the REST API (default: none)"),
      new Setting("--jwt-secret", "JWT_SECRET", "", "HS256 secret of browsers' tokens (the token query parameter)"),
      new Setting("--jwt-public-key", "JWT_PUBLIC_KEY", "", "PEM file of the RS256 public key of browsers' tokens"),
      new Setting("--anonymous", "BRIDGE_ANONYMOUS", "true",
          "let browsers without a token in, to the --bridge-inbound/--bridge-outbound addresses (true/false)"),
      new Setting("--node-name", "NODE_NAME", "",
          "what a person calls this node on the dashboard and in /api/cluster/nodes (default: cluster host:port)"),
      new Setting("--warm-up", "WARM_UP", "false",
          "before reporting ready, run connections and messages through a private copy of the bridge, so that the "
              + "JIT has compiled them before clients come (true: ready 10-30 s later; true/false)"));

  /** What the command line asked for: a configuration to run, or the usage text. */
  public record Parsed(NodeConfig config, boolean helpRequested) {}

  private NodeSettings() {}

  /** Every setting, in the order of {@code --help}. */
  public static List<Setting> settings() {
    return SETTINGS;
  }

  /** The configuration of a node given no flag and no environment. */
  public static NodeConfig defaults() {
    return Defaults.CONFIG;
  }

  /** Parsed on first use, once {@link #SETTINGS} is there. */
  private static final class Defaults {
    static final NodeConfig CONFIG = parse(new String[0], Map.of()).config();
  }

  /** Each setting's value, and the name it was given under (the flag, or the variable it was read from). */
  private static final class Values {
    final Map<String, String> values = new LinkedHashMap<>();
    final Map<String, String> givenAs = new LinkedHashMap<>();

    String get(String flag) {
      return values.get(flag);
    }

    /** {@code --bridge-port}, or {@code BRIDGE_PORT (--bridge-port)} for a value read from the environment. */
    String name(String flag) {
      String given = givenAs.get(flag);
      return given == null || given.equals(flag) ? flag : given + " (" + flag + ")";
    }
  }

  public static Parsed parse(String[] args, Map<String, String> env) {
    Values v = new Values();
    Map<String, String> values = v.values;
    for (Setting s : SETTINGS) {
      String fromEnv = env.get(s.env());
      values.put(s.flag(), fromEnv != null ? fromEnv : s.defaultValue());
      v.givenAs.put(s.flag(), fromEnv != null ? s.env() : s.flag());
    }
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.equals("--help") || arg.equals("-h")) return new Parsed(null, true);
      String flag = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
      if (!values.containsKey(flag)) throw new BadSetting("unknown option '" + arg + "' (see --help)");
      String value;
      if (arg.contains("=")) {
        value = arg.substring(arg.indexOf('=') + 1);
      } else if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
        value = args[++i];
      } else {
        throw new BadSetting(flag + " needs a value (see --help)");
      }
      values.put(flag, value);
      v.givenAs.put(flag, flag);
    }
    return new Parsed(toConfig(v), false);
  }

  private static NodeConfig toConfig(Values v) {
    NodeConfig config = new NodeConfig(
        read(v, "--roles", Role::parseList),
        nonEmpty(v, "--http-host"),
        port(v, "--bridge-port"),
        port(v, "--api-port"),
        nonEmpty(v, "--cluster-host"),
        port(v, "--cluster-port"),
        list(v, "--members"),
        nonEmpty(v, "--cluster-name"),
        v.get("--cluster-config").isBlank() ? null : v.get("--cluster-config").trim(),
        patterns(v, "--bridge-inbound"),
        patterns(v, "--bridge-outbound"),
        (int) number(v, "--simulator-min-ms", 1, 3_600_000),
        (int) number(v, "--simulator-max-ms", 1, 3_600_000),
        number(v, "--send-timeout-ms", 1, 600_000),
        (int) number(v, "--max-body-bytes", 1, 64 * 1024 * 1024),
        (int) number(v, "--max-frame-bytes", 64, 16 * 1024 * 1024),
        number(v, "--idle-timeout-ms", 100, 3_600_000),
        (int) number(v, "--max-queued-bytes", 4096, 1024 * 1024 * 1024),
        (int) number(v, "--eventbus-port", 0, 65535),
        new NodeConfig.BridgeLimits(
            (int) number(v, "--max-registrations", 1, 100_000),
            (int) number(v, "--max-frames-per-second", 1, 1_000_000),
            (int) number(v, "--max-connections", 1, 10_000_000),
            (int) number(v, "--max-registrations-per-second", 1, 1_000_000),
            (int) number(v, "--max-addresses", 1, 10_000_000)),
        security(v),
        bool(v, "--warm-up"),
        new NodeConfig.HttpLimits(
            number(v, "--http-header-timeout-ms", 0, 3_600_000),
            number(v, "--http-body-timeout-ms", 0, 3_600_000),
            (int) number(v, "--max-unfinished-connections", 1, 10_000_000),
            (int) number(v, "--fd-reserve", 0, 1_000_000)),
        new NodeConfig.History(
            patterns(v, "--history-addresses"),
            (int) number(v, "--history-size", 1, 1_000_000),
            number(v, "--history-ttl-ms", 1000, 7L * 24 * 3600 * 1000),
            (int) number(v, "--history-max-addresses", 1, 10_000_000),
            (int) number(v, "--history-address-bytes", 1024, 1024 * 1024 * 1024)),
        nodeName(v),
        (int) number(v, "--min-cluster-size", 1, 1000),
        new NodeConfig.PresenceSettings(
            patterns(v, "--presence-addresses"),
            (int) number(v, "--max-presence-entries", 0, 100_000_000)));
    if (config.simulatorMaxMs() < config.simulatorMinMs()) {
      throw new BadSetting("--simulator-max-ms must not be below --simulator-min-ms");
    }
    if (config.has(Role.BRIDGE) && config.has(Role.REST) && config.bridgePort() == config.apiPort()) {
      throw new BadSetting("--bridge-port and --api-port are both " + config.apiPort() + ": give each its own port");
    }
    return config;
  }

  private static NodeConfig.Security security(Values v) {
    String token = v.get("--api-token").trim();
    String cert = v.get("--tls-cert").trim();
    String key = v.get("--tls-key").trim();
    if (cert.isEmpty() != key.isEmpty()) throw new BadSetting("--tls-cert and --tls-key go together: give both or neither");
    for (String file : new String[] {cert, key}) {
      if (!file.isEmpty() && !Files.isReadable(Path.of(file))) throw new BadSetting("TLS: cannot read " + file);
    }
    if (!token.isEmpty() && token.length() < 16) throw new BadSetting("--api-token: at least 16 characters");
    return new NodeConfig.Security(token.isEmpty() ? null : token, cert.isEmpty() ? null : cert,
        key.isEmpty() ? null : key, origins(v, "--allowed-origins"), origins(v, "--cors-origins"), browserTokens(v));
  }

  private static NodeConfig.BrowserTokens browserTokens(Values v) {
    String secret = v.get("--jwt-secret").trim();
    String keyFile = v.get("--jwt-public-key").trim();
    boolean anon = bool(v, "--anonymous");
    if (!secret.isEmpty() && !keyFile.isEmpty()) throw new BadSetting("--jwt-secret or --jwt-public-key, not both");
    if (!secret.isEmpty() && secret.length() < 32) throw new BadSetting("--jwt-secret: at least 32 characters");
    String pem = null;
    if (!keyFile.isEmpty()) {
      try {
        pem = Files.readString(Path.of(keyFile));
      } catch (java.io.IOException e) {
        throw new BadSetting("--jwt-public-key: cannot read " + keyFile);
      }
    }
    if (!anon && secret.isEmpty() && pem == null) {
      throw new BadSetting("--anonymous false needs --jwt-secret or --jwt-public-key: no browser could connect");
    }
    return new NodeConfig.BrowserTokens(secret.isEmpty() ? null : secret, pem, anon);
  }

  /** Empty: host:port. A name is shown on pages and in logs: printable, at most 64 characters. */
  private static String nodeName(Values v) {
    String name = v.get("--node-name").trim();
    if (name.isEmpty()) return null;
    if (name.length() > 64 || !name.codePoints().allMatch(c -> c >= 0x20 && c != 0x7f && !Character.isISOControl(c))) {
      throw new BadSetting(v.name("--node-name") + ": at most 64 printable characters");
    }
    return name;
  }

  /** Empty means none; each entry {@code *} or scheme://host[:port]. */
  private static List<String> origins(Values v, String flag) {
    List<String> origins = Arrays.stream(v.get(flag).split(",")).map(String::trim).filter(o -> !o.isEmpty()).toList();
    for (String origin : origins) {
      if (!origin.equals("*") && !origin.matches("https?://[^/\\s]+")) {
        throw new BadSetting(v.name(flag) + ": '" + origin + "' is not * or scheme://host[:port]");
      }
    }
    return origins;
  }

  /** The usage text of {@code --help}. */
  public static String usage() {
    StringBuilder sb = new StringBuilder("""
        livegate node: a clustered real-time gateway node (bridge, REST API, score simulator).

        usage: java -jar livegate-node.jar [--option value | --option=value]...

        Every option can also be given as an environment variable; an option wins over the variable.

        """);
    for (Setting s : SETTINGS) {
      sb.append(String.format("  %-20s %-17s %s%n", s.flag(), s.env(), s.help()));
      if (!s.defaultValue().isEmpty()) sb.append(String.format("  %-38s default: %s%n", "", s.defaultValue()));
    }
    return sb.toString();
  }

  private static <T> T read(Values v, String flag, Function<String, T> parse) {
    try {
      return parse.apply(v.get(flag));
    } catch (IllegalArgumentException e) {
      throw new BadSetting(v.name(flag) + ": " + e.getMessage());
    }
  }

  private static boolean bool(Values v, String flag) {
    String value = v.get(flag).trim().toLowerCase(java.util.Locale.ROOT);
    if (!value.equals("true") && !value.equals("false")) throw new BadSetting(v.name(flag) + ": true or false");
    return value.equals("true");
  }

  private static String nonEmpty(Values v, String flag) {
    String value = v.get(flag).trim();
    if (value.isEmpty()) throw new BadSetting(v.name(flag) + " must not be empty");
    return value;
  }

  private static int port(Values v, String flag) {
    return (int) number(v, flag, 1, 65535);
  }

  private static long number(Values v, String flag, long min, long max) {
    String text = v.get(flag).trim();
    long n;
    try {
      n = Long.parseLong(text);
    } catch (NumberFormatException e) {
      throw new BadSetting(v.name(flag) + ": '" + text + "' is not a whole number");
    }
    if (n < min || n > max) throw new BadSetting(v.name(flag) + ": " + n + " is outside " + min + ".." + max);
    return n;
  }

  private static List<String> list(Values v, String flag) {
    List<String> items = Arrays.stream(v.get(flag).split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    if (items.isEmpty()) throw new BadSetting(v.name(flag) + " must name at least one entry");
    return items;
  }

  private static List<String> patterns(Values v, String flag) {
    List<String> items = Arrays.stream(v.get(flag).split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    for (String p : items) {
      try {
        Pattern.compile(p);
      } catch (PatternSyntaxException e) {
        throw new BadSetting(v.name(flag) + ": '" + p + "' is not a regular expression: " + e.getDescription());
      }
    }
    return items;
  }
}
