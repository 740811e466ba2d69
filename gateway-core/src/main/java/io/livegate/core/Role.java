package io.livegate.core;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/** What a node does; a node runs any subset. */
public enum Role {
  BRIDGE, REST, SIMULATOR;

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses {@code "bridge,rest"}; throws {@link IllegalArgumentException} naming the bad word. */
  public static Set<Role> parseList(String text) {
    Set<Role> roles = EnumSet.noneOf(Role.class);
    for (String word : text.split(",")) {
      String w = word.trim();
      if (w.isEmpty()) continue;
      try {
        roles.add(Role.valueOf(w.toUpperCase(Locale.ROOT)));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("unknown role '" + w + "' (roles: bridge, rest, simulator)");
      }
    }
    if (roles.isEmpty()) throw new IllegalArgumentException("no role given (roles: bridge, rest, simulator)");
    return roles;
  }

  public static String format(Set<Role> roles) {
    return roles.stream().map(Role::label).collect(Collectors.joining(","));
  }

  public static Set<Role> all() {
    return EnumSet.copyOf(Arrays.asList(values()));
  }
}
