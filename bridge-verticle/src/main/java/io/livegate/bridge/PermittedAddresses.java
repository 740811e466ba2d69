package io.livegate.bridge;

import io.livegate.core.Addresses;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Which addresses a browser may use, compiled once from configuration: regular expressions that must
 * match the whole address. Internal addresses are refused whatever the configuration says.
 */
final class PermittedAddresses {
  private final List<Pattern> inbound;
  private final List<Pattern> outbound;

  PermittedAddresses(List<String> inboundRegexes, List<String> outboundRegexes) {
    this.inbound = compile(inboundRegexes);
    this.outbound = compile(outboundRegexes);
  }

  /** Browser to server: may a browser send or publish to {@code address}? */
  boolean allowsInbound(String address) {
    return !Addresses.isInternal(address) && !Addresses.isPresence(address) && anyMatches(inbound, address);
  }

  /** Server to browser: may a browser register on {@code address}? */
  boolean allowsOutbound(String address) {
    return !Addresses.isInternal(address) && anyMatches(outbound, address);
  }

  @Override
  public String toString() {
    return "inbound " + inbound + ", outbound " + outbound;
  }

  private static List<Pattern> compile(List<String> regexes) {
    return regexes.stream().map(Pattern::compile).toList();
  }

  private static boolean anyMatches(List<Pattern> patterns, String address) {
    for (Pattern pattern : patterns) {
      if (pattern.matcher(address).matches()) return true;
    }
    return false;
  }
}
