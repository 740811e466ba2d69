package io.livegate.examples.quote;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The service's settings, each a flag and an environment variable with the nodes' names, so that one environment
 * starts both. A flag wins over the variable.
 */
public record ServiceSettings(String clusterName, List<String> members, String clusterHost, int clusterPort,
    String clusterConfig, String botName) {

  private static final String[][] SETTINGS = {
      {"--cluster-name", "CLUSTER_NAME", "livegate", "the nodes' cluster name"},
      {"--members", "CLUSTER_MEMBERS", "127.0.0.1", "the nodes' member list, comma separated host[:port]"},
      {"--cluster-host", "CLUSTER_HOST", "127.0.0.1", "address this service binds and advertises to the cluster"},
      {"--cluster-port", "CLUSTER_PORT", "5701", "first Hazelcast port tried (the next free one is taken)"},
      {"--cluster-config", "CLUSTER_CONFIG", "", "Hazelcast XML file (default: the nodes' cluster.xml, packaged)"},
      {"--bot-name", "BOT_NAME", "quote-bot", "the name the bot's chat lines carry in \"from\""},
  };

  /** The settings, or null when {@code --help} was asked for; IllegalArgumentException names a bad one. */
  public static ServiceSettings parse(String[] args, Map<String, String> env) {
    Map<String, String> values = new LinkedHashMap<>();
    for (String[] s : SETTINGS) values.put(s[0], env.getOrDefault(s[1], s[2]));
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.equals("--help") || arg.equals("-h")) return null;
      String flag = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
      if (!values.containsKey(flag)) throw new IllegalArgumentException("unknown option '" + arg + "' (see --help)");
      if (arg.contains("=")) {
        values.put(flag, arg.substring(arg.indexOf('=') + 1));
      } else if (i + 1 < args.length) {
        values.put(flag, args[++i]);
      } else {
        throw new IllegalArgumentException(flag + " needs a value");
      }
    }
    List<String> members = Arrays.stream(values.get("--members").split(",")).map(String::trim)
        .filter(m -> !m.isEmpty()).toList();
    if (members.isEmpty()) throw new IllegalArgumentException("--members must name at least one member");
    int port;
    try {
      port = Integer.parseInt(values.get("--cluster-port").trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--cluster-port: '" + values.get("--cluster-port") + "' is not a port");
    }
    if (port < 1 || port > 65535) throw new IllegalArgumentException("--cluster-port: " + port + " is outside 1..65535");
    String config = values.get("--cluster-config").trim();
    return new ServiceSettings(values.get("--cluster-name").trim(), members, values.get("--cluster-host").trim(), port,
        config.isEmpty() ? null : config, values.get("--bot-name").trim());
  }

  static String usage() {
    StringBuilder sb = new StringBuilder("quote-service: an example backend service of a livegate cluster.\n\n"
        + "usage: java -jar quote-service.jar [--option value]...\n\n");
    for (String[] s : SETTINGS) sb.append(String.format("  %-16s %-16s %s (default: %s)%n", s[0], s[1], s[3], s[2]));
    return sb.toString();
  }
}
