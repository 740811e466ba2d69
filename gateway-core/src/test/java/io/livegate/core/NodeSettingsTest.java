package io.livegate.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class NodeSettingsTest {

  private static NodeConfig parse(Map<String, String> env, String... args) {
    return NodeSettings.parse(args, env).config();
  }

  @Test
  void httpDeadlinesAndAdmissionHaveDefaultsAndCanBeTurnedOff() {
    assertEquals(new NodeConfig.HttpLimits(10_000, 30_000, 10_000, 2_048), parse(Map.of()).http());
    assertEquals(new NodeConfig.HttpLimits(0, 0, 1_000_000, 0), parse(Map.of("FD_RESERVE", "0"),
        "--http-header-timeout-ms", "0", "--http-body-timeout-ms=0", "--max-unfinished-connections", "1000000").http());
    assertThrows(NodeSettings.BadSetting.class, () -> parse(Map.of(), "--max-unfinished-connections", "0"));
    assertTrue(NodeSettings.usage().contains("--http-header-timeout-ms") && NodeSettings.usage().contains("FD_RESERVE"));
  }

  @Test
  void defaultsAreTheContractsDefaults() {
    NodeConfig config = parse(Map.of());
    assertEquals(Role.all(), config.roles());
    assertEquals(8080, config.bridgePort());
    assertEquals(8081, config.apiPort());
    assertEquals("127.0.0.1", config.clusterHost());
    assertEquals(List.of("127.0.0.1"), config.members());
    assertNull(config.clusterConfig(), "packaged cluster.xml");
    assertEquals(1024 * 1024, config.maxQueuedBytes());
    assertEquals(new NodeConfig.BridgeLimits(64, 100, 50_000, 10, 20_000), config.limits());
    assertEquals(new NodeConfig.BridgeLimits(64, 100, 50_000, 5, 300), parse(Map.of("MAX_ADDRESSES", "300"),
        "--max-registrations-per-second", "5").limits());
    assertEquals(new NodeConfig.BridgeLimits(8, 20, 300), parse(Map.of("MAX_CONNECTIONS", "300"),
        "--max-registrations", "8", "--max-frames-per-second", "20").limits());
    assertEquals(1000, parse(Map.of("MAX_QUEUED_BYTES", "5000"), "--max-queued-bytes", "1000000").maxQueuedBytes() / 1000);
    assertEquals(0, config.eventBusPort(), "any free port");
    assertFalse(config.warmUp(), "a node is ready once it has joined; the warm-up is opt-in");
    assertTrue(parse(Map.of("WARM_UP", "true")).warmUp());
    assertTrue(parse(Map.of("WARM_UP", "false"), "--warm-up", "TRUE").warmUp());
  }

  @Test
  void registrationBudgetsRefuseNonsense() {
    assertRefused("--max-addresses: 0 is outside 1..10000000", "--max-addresses", "0");
    assertRefused("--max-registrations-per-second: 'fast' is not a whole number", "--max-registrations-per-second", "fast");
  }

  @Test
  void theMinimumClusterSizeDefaultsToOneAndRefusesNonsense() {
    assertEquals(1, parse(Map.of()).minClusterSize());
    assertEquals(2, parse(Map.of("MIN_CLUSTER_SIZE", "2")).minClusterSize());
    assertRefused("--min-cluster-size: 0 is outside 1..1000", "--min-cluster-size", "0");
    assertRefused("--min-cluster-size: 'half' is not a whole number", "--min-cluster-size", "half");
    assertRefused("--min-cluster-size: 1001 is outside 1..1000", "--min-cluster-size", "1001");
  }

  @Test
  void theEventBusPortCanBeFixedForFirewallsBetweenHosts() {
    assertEquals(5801, parse(Map.of("EVENTBUS_PORT", "5801")).eventBusPort());
    assertEquals(5802, parse(Map.of("EVENTBUS_PORT", "5801"), "--eventbus-port", "5802").eventBusPort());
    assertRefused("--eventbus-port: 70000 is outside 0..65535", "--eventbus-port", "70000");
  }

  @Test
  void environmentOverridesDefaultsAndFlagsOverrideEnvironment() {
    Map<String, String> env = Map.of("BRIDGE_ROLES", "rest", "BRIDGE_PORT", "9000", "API_PORT", "9001",
        "CLUSTER_HOST", "10.0.0.5", "CLUSTER_MEMBERS", "10.0.0.5,10.0.0.6:5702", "CLUSTER_CONFIG", "/etc/hz.xml");
    NodeConfig fromEnv = parse(env);
    assertEquals(Set.of(Role.REST), fromEnv.roles());
    assertEquals(9000, fromEnv.bridgePort());
    assertEquals(9001, fromEnv.apiPort());
    assertEquals("10.0.0.5", fromEnv.clusterHost());
    assertEquals(List.of("10.0.0.5", "10.0.0.6:5702"), fromEnv.members());
    assertEquals("/etc/hz.xml", fromEnv.clusterConfig());

    NodeConfig flags = parse(env, "--roles", "bridge,simulator", "--bridge-port=9100", "--members", "h1");
    assertEquals(Set.of(Role.BRIDGE, Role.SIMULATOR), flags.roles());
    assertEquals(9100, flags.bridgePort());
    assertEquals(List.of("h1"), flags.members());
    assertEquals(9001, flags.apiPort(), "not given as a flag: the environment's");
  }

  @Test
  void helpIsRecognisedAndTheUsageNamesEverySettingOfTheContract() {
    assertTrue(NodeSettings.parse(new String[] {"--help"}, Map.of()).helpRequested());
    String usage = NodeSettings.usage();
    for (String word : List.of("--roles", "BRIDGE_ROLES", "--bridge-port", "BRIDGE_PORT", "--api-port", "API_PORT",
        "--cluster-host", "CLUSTER_HOST", "--members", "CLUSTER_MEMBERS", "--cluster-config", "CLUSTER_CONFIG")) {
      assertTrue(usage.contains(word), word);
    }
  }

  @Test
  void badInputIsRefusedWithAOneLineMessageNamingTheSetting() {
    assertRefused("unknown option '--bogus'", "--bogus", "1");
    assertRefused("--bridge-port needs a value", "--bridge-port");
    assertRefused("--bridge-port: 'abc' is not a whole number", "--bridge-port", "abc");
    assertRefused("--api-port: 70000 is outside 1..65535", "--api-port", "70000");
    assertRefused("--roles: unknown role 'gateway'", "--roles", "bridge,gateway");
    assertRefused("--roles: no role given", "--roles", ",");
    assertRefused("--bridge-inbound: '(' is not a regular expression", "--bridge-inbound", "(");
    assertRefused("--members must name at least one entry", "--members", ",");
    assertRefused("--simulator-max-ms must not be below --simulator-min-ms", "--simulator-min-ms", "500",
        "--simulator-max-ms", "100");
    assertRefused("--max-queued-bytes: 100 is outside 4096..1073741824", "--max-queued-bytes", "100");
    assertRefused("--max-frames-per-second: 0 is outside 1..1000000", "--max-frames-per-second", "0");
    assertRefused("--tls-cert and --tls-key go together", "--tls-cert", "/etc/hostname");
    assertRefused("TLS: cannot read /nonexistent/key.pem", "--tls-cert", "/etc/hostname", "--tls-key", "/nonexistent/key.pem");
    assertRefused("--api-token: at least 16 characters", "--api-token", "short");
    assertRefused("--anonymous false needs --jwt-secret or --jwt-public-key", "--anonymous", "false");
    assertRefused("--anonymous: true or false", "--anonymous", "maybe");
    assertRefused("--warm-up: true or false", "--warm-up", "yes");
    assertRefused("--jwt-secret: at least 32 characters", "--jwt-secret", "short");
    assertRefused("--jwt-public-key: cannot read /nonexistent.pem", "--jwt-public-key", "/nonexistent.pem");
    assertEquals(false, parse(Map.of("JWT_SECRET", "s".repeat(32), "BRIDGE_ANONYMOUS", "false"))
        .security().browserTokens().anonymous());
    assertRefused("--allowed-origins: 'evil.example' is not * or scheme://host[:port]", "--allowed-origins", "evil.example");
    assertEquals(List.of("https://a.example", "*"), parse(Map.of(), "--allowed-origins", "https://a.example, *")
        .security().allowedOrigins());
    assertRefused("--bridge-port and --api-port are both 9000", "--bridge-port", "9000", "--api-port", "9000");
    NodeSettings.BadSetting fromEnv = assertThrows(NodeSettings.BadSetting.class,
        () -> parse(Map.of("BRIDGE_PORT", "x")));
    assertTrue(fromEnv.getMessage().startsWith("BRIDGE_PORT (--bridge-port): 'x' is not a whole number"),
        "names the variable that was read: " + fromEnv.getMessage());
    NodeSettings.BadSetting flagOverEnv = assertThrows(NodeSettings.BadSetting.class,
        () -> parse(Map.of("BRIDGE_PORT", "9000"), "--bridge-port", "x"));
    assertTrue(flagOverEnv.getMessage().startsWith("--bridge-port: 'x'"), flagOverEnv.getMessage());
    assertRefused("--node-name: at most 64 printable characters", "--node-name", "n".repeat(65));
    assertRefused("--node-name: at most 64 printable characters", "--node-name", "a\u0007b");
    assertEquals("edge-1", parse(Map.of("NODE_NAME", "edge-1")).displayName());
    assertEquals("127.0.0.1:9090", parse(Map.of(), "--bridge-port", "9090").displayName());
  }

  private static void assertRefused(String expectedStart, String... args) {
    NodeSettings.BadSetting e = assertThrows(NodeSettings.BadSetting.class, () -> parse(Map.of(), args));
    assertTrue(e.getMessage().startsWith(expectedStart), "got: " + e.getMessage());
    assertTrue(!e.getMessage().contains("\n"), "one line");
  }
}
