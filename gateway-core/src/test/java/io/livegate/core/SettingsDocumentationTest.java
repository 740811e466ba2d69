package io.livegate.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every setting is declared once ({@link NodeSettings#settings()}): {@code --help}, the defaults and the settings table
 * of docs/reference.md say the same as that declaration, so a setting added there and not documented fails here.
 */
class SettingsDocumentationTest {
  private static final Path REFERENCE = Path.of("..", "docs", "reference.md");
  private static final Pattern FLAG = Pattern.compile("`(--[a-z0-9-]+)`");
  private static final Pattern ENV = Pattern.compile("`([A-Z][A-Z0-9_]+)`");
  private static final Pattern QUOTED = Pattern.compile("`([^`]*)`");

  /** A row of the documented table: its flags, their variables, and the default each is documented with (or null). */
  private record Documented(String env, String defaultValue) {}

  @Test
  void theSettingsTableDocumentsEverySettingWithItsVariableAndDefaultAndNothingElse() throws IOException {
    Map<String, Documented> documented = documentedSettings();
    Map<String, NodeSettings.Setting> declared = new LinkedHashMap<>();
    for (NodeSettings.Setting setting : NodeSettings.settings()) declared.put(setting.flag(), setting);

    assertEquals(declared.keySet(), documented.keySet(), "the flags of docs/reference.md's settings table");
    for (NodeSettings.Setting setting : declared.values()) {
      Documented doc = documented.get(setting.flag());
      assertEquals(setting.env(), doc.env(), setting.flag() + "'s variable in docs/reference.md");
      if (!setting.defaultValue().isEmpty()) { // an empty default is explained in words (none, packaged, ...)
        assertEquals(setting.defaultValue(), doc.defaultValue(), setting.flag() + "'s default in docs/reference.md");
      }
    }
  }

  @Test
  void helpPrintsEverySettingWithItsVariableAndDefault() {
    String usage = NodeSettings.usage();
    for (NodeSettings.Setting setting : NodeSettings.settings()) {
      Matcher line = Pattern.compile("(?m)^  " + Pattern.quote(setting.flag()) + " +" + Pattern.quote(setting.env())
          + " +\\S.*$(\\n {20,}default: (.*)$)?").matcher(usage);
      assertTrue(line.find(), setting.flag() + " in --help");
      assertEquals(setting.defaultValue().isEmpty() ? null : setting.defaultValue(), line.group(2),
          setting.flag() + "'s default in --help");
    }
  }

  @Test
  void theConfigurationsDefaultsAreTheDeclaredOnes() {
    assertSame(NodeSettings.defaults(), NodeConfig.defaults());
    assertEquals(NodeSettings.parse(new String[0], Map.of()).config(), NodeConfig.defaults());
    NodeConfig.BridgeLimits limits = NodeConfig.defaults().limits();
    assertEquals(limits, new NodeConfig.BridgeLimits(limits.maxRegistrations(), limits.maxFramesPerSecond(),
        limits.maxConnections()), "the short form of the bridge's limits takes the declared budgets");
  }

  /** The table under "## Settings": each flag with its variable and, in order, the defaults its row quotes. */
  private static Map<String, Documented> documentedSettings() throws IOException {
    List<String> lines = Files.readAllLines(REFERENCE);
    int header = lines.indexOf("| setting | flag | env | default |");
    assertTrue(header > 0, "docs/reference.md has the settings table");
    Map<String, Documented> documented = new LinkedHashMap<>();
    for (int i = header + 2; i < lines.size() && lines.get(i).startsWith("|"); i++) {
      String[] cells = lines.get(i).split(" \\| ");
      assertEquals(4, cells.length, "four cells in " + lines.get(i));
      List<String> flags = all(FLAG, cells[1]);
      List<String> envs = all(ENV, cells[2]);
      List<String> defaults = all(QUOTED, cells[3].substring(0, cells[3].length() - 2));
      assertFalse(flags.isEmpty(), "a flag in " + lines.get(i));
      assertEquals(flags.size(), envs.size(), "a variable for each flag in " + lines.get(i));
      for (int f = 0; f < flags.size(); f++) {
        String defaultValue = flags.size() == 1 ? (defaults.isEmpty() ? null : defaults.get(0))
            : (defaults.size() == flags.size() ? defaults.get(f) : null);
        documented.put(flags.get(f), new Documented(envs.get(f), defaultValue));
      }
    }
    return documented;
  }

  private static List<String> all(Pattern pattern, String text) {
    List<String> found = new ArrayList<>();
    Matcher matcher = pattern.matcher(text);
    while (matcher.find()) found.add(matcher.group(1));
    return found;
  }
}
