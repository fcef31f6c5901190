package io.licensor.identity.remote;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * Which addresses licensor may fetch an identity provider's keys from: every globally routable
 * address, and the networks an operator adds ({@code identity.remoteKeys.allowedNetworks}, CIDR
 * notation). Loopback, private (RFC 1918, unique-local), link-local (cloud metadata services at
 * 169.254.169.254 among them), carrier-grade NAT, documentation, multicast and unspecified
 * addresses are refused unless listed; of IPv6, only global unicast (2000::/3) is public, less
 * the forms that carry an IPv4 address a relay would reach (6to4, Teredo) and the reserved ones,
 * so {@code ::2}, IPv4-compatible {@code ::127.0.0.1} and NAT64 {@code 64:ff9b::/96} are refused
 * too: a tenant admin naming a JWKS URL cannot make licensor reach the services beside it.
 */
public final class AllowedNetworks {

  private record Network(byte[] prefix, int bits, String text) {
    boolean contains(byte[] address) {
      if (address.length != prefix.length) {
        return false;
      }
      int full = bits / 8;
      for (int i = 0; i < full; i++) {
        if (address[i] != prefix[i]) {
          return false;
        }
      }
      int rest = bits % 8;
      if (rest == 0) {
        return true;
      }
      int mask = (0xff << (8 - rest)) & 0xff;
      return (address[full] & mask) == (prefix[full] & mask);
    }
  }

  private static final List<Network> NOT_PUBLIC = List.of(
      parse("0.0.0.0/8"), parse("10.0.0.0/8"), parse("100.64.0.0/10"), parse("127.0.0.0/8"),
      parse("169.254.0.0/16"), parse("172.16.0.0/12"), parse("192.0.0.0/24"), parse("192.168.0.0/16"),
      parse("198.18.0.0/15"), parse("224.0.0.0/3"), parse("192.0.2.0/24"), parse("198.51.100.0/24"),
      parse("203.0.113.0/24"),
      parse("2001::/32"), parse("2001:db8::/32"), parse("2001:10::/28"), parse("2001:20::/28"), parse("2002::/16"),
      parse("3fff::/20"));

  /** The only public IPv6 addresses: global unicast. */
  private static final Network GLOBAL_UNICAST = parse("2000::/3");

  private final List<Network> extra;

  private AllowedNetworks(List<Network> extra) {
    this.extra = List.copyOf(extra);
  }

  /** Public addresses and the given CIDR networks; throws IllegalArgumentException naming a malformed entry. */
  public static AllowedNetworks of(List<String> cidrs) {
    List<Network> extra = new ArrayList<>();
    for (String cidr : cidrs) {
      extra.add(parse(cidr));
    }
    return new AllowedNetworks(extra);
  }

  public boolean allows(InetAddress address) {
    byte[] bytes = canonical(address);
    for (Network n : extra) {
      if (n.contains(bytes)) {
        return true;
      }
    }
    if (bytes.length == 16 && !GLOBAL_UNICAST.contains(bytes)) {
      return false;
    }
    for (Network n : NOT_PUBLIC) {
      if (n.contains(bytes)) {
        return false;
      }
    }
    return true;
  }

  /** An IPv4-mapped IPv6 address is checked as the IPv4 address it is. */
  private static byte[] canonical(InetAddress address) {
    byte[] bytes = address.getAddress();
    if (address instanceof Inet6Address && bytes.length == 16) {
      boolean mapped = bytes[10] == (byte) 0xff && bytes[11] == (byte) 0xff;
      for (int i = 0; i < 10 && mapped; i++) {
        mapped = bytes[i] == 0;
      }
      if (mapped) {
        return new byte[] {bytes[12], bytes[13], bytes[14], bytes[15]};
      }
    }
    return bytes;
  }

  static Network parse(String cidr) {
    String text = cidr == null ? "" : cidr.trim();
    int slash = text.indexOf('/');
    String host = slash < 0 ? text : text.substring(0, slash);
    // a literal address only: never a name to resolve
    if (host.isEmpty() || !host.matches("[0-9A-Fa-f:.]+")) {
      throw new IllegalArgumentException("'" + cidr + "' is not a network in CIDR notation (e.g. 127.0.0.0/8 or ::1/128)");
    }
    InetAddress address;
    try {
      address = InetAddress.getByName(host);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("'" + cidr + "' is not a network in CIDR notation");
    }
    byte[] bytes = address.getAddress();
    int max = bytes.length * 8;
    int bits;
    try {
      bits = slash < 0 ? max : Integer.parseInt(text.substring(slash + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + cidr + "' has no valid prefix length");
    }
    if (bits < 0 || bits > max) {
      throw new IllegalArgumentException("'" + cidr + "': the prefix length must be between 0 and " + max);
    }
    if (!(address instanceof Inet4Address) && !(address instanceof Inet6Address)) {
      throw new IllegalArgumentException("'" + cidr + "' is not an IP network");
    }
    return new Network(bytes, bits, text);
  }

  @Override
  public String toString() {
    List<String> names = new ArrayList<>();
    extra.forEach(n -> names.add(n.text()));
    return "public addresses" + (names.isEmpty() ? "" : " and " + String.join(", ", names));
  }
}
