package io.livegate.rest;

import io.livegate.core.Addresses;
import java.util.regex.Pattern;

/** Which event-bus addresses a service may reach through the REST API; publish and send both ask here. */
final class ServiceAddresses {
  static final int MAX_LENGTH = Addresses.MAX_LENGTH;
  private static final Pattern ALLOWED = Pattern.compile("[A-Za-z0-9._:#-]+");

  /** Returns {@code address} if a service may use it; otherwise throws a 400 or 403 {@link ApiError}. */
  static String check(String address) {
    if (address == null || address.isEmpty() || address.length() > MAX_LENGTH || !ALLOWED.matcher(address).matches()) {
      throw new ApiError(400, "an address is 1 to " + MAX_LENGTH + " characters of A-Z a-z 0-9 . _ : # -");
    }
    if (Addresses.isInternal(address)) {
      throw new ApiError(403, "address " + address + " is internal");
    }
    if (Addresses.isPresence(address)) {
      throw new ApiError(403, "address " + address + " is told by the nodes alone: see GET /api/presence/{address}");
    }
    return address;
  }

  private ServiceAddresses() {}
}
