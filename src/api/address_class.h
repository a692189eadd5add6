#pragma once
// What kind of network an IP address belongs to, for the one question reelq asks of an address a
// hostile answer may have chosen: is it a public unicast host on the internet, or this machine,
// its network, or no single host at all?
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace reelq {

enum class AddressClass {
  global,       // a public unicast address
  loopback,     // 127/8, ::1
  private_net,  // 10/8, 172.16/12, 192.168/16, 100.64/10 (a provider's NAT), fc00::/7
  link_local,   // 169.254/16 (cloud metadata services), fe80::/10, fec0::/10
  unspecified,  // 0/8, :: (0.0.0.0 reaches this machine)
  multicast,    // 224/4, ff00::/8
  reserved,     // 240/4 and broadcast, the documentation, benchmarking and protocol ranges,
                // 2001:db8::/32, 100::/64: no host a result could be on
};

// "loopback", "private", "link-local", "unspecified", "multicast", "reserved" or "public": for
// messages ("resolves to 10.0.0.5, a private address").
std::string_view address_class_name(AddressClass c);

// An IPv4 address in host byte order.
AddressClass classify_ipv4(std::uint32_t address);
// An IPv6 address. One that carries an IPv4 address (v4-mapped ::ffff:a.b.c.d, v4-compatible
// ::a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16) is judged by that address, which is where a
// connection to it ends up.
AddressClass classify_ipv6(const std::array<unsigned char, 16>& address);

// A numeric address read from text, and its class.
struct NumericAddress {
  std::string text;  // in the usual form ("127.0.0.1" for "2130706433"): what a connection uses
  AddressClass kind = AddressClass::global;
};

// `text` read as a numeric address: IPv4 in every form inet_aton reads ("127.1", "2130706433",
// "0x7f.0.0.1"), IPv6 with or without brackets. A zone ("fe80::1%eth0") only goes with a
// link-local address, and text with a colon that is no address is no host at all (reserved): both
// keep their text as given. nullopt when `text` is not numeric (a host name).
std::optional<NumericAddress> read_numeric(std::string_view text);

}  // namespace reelq
