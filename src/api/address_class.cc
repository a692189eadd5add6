#include "api/address_class.h"

#include <arpa/inet.h>

#include <algorithm>

namespace reelq {

namespace {

struct Range4 {
  std::uint32_t net;
  int bits;
  AddressClass kind;
};

// IANA's special-purpose registry, as far as it names something that is not a public host.
constexpr Range4 k_ranges4[] = {
    {0x00000000, 8, AddressClass::unspecified},   // "this network": 0.0.0.0 reaches this machine
    {0x0a000000, 8, AddressClass::private_net},   // 10/8
    {0x64400000, 10, AddressClass::private_net},  // 100.64/10, a provider's NAT (shared)
    {0x7f000000, 8, AddressClass::loopback},      // 127/8
    {0xa9fe0000, 16, AddressClass::link_local},   // 169.254/16, cloud metadata services
    {0xac100000, 12, AddressClass::private_net},  // 172.16/12
    {0xc0000000, 24, AddressClass::reserved},     // 192.0.0/24, protocol assignments
    {0xc0000200, 24, AddressClass::reserved},     // 192.0.2/24, documentation
    {0xc0586300, 24, AddressClass::reserved},     // 192.88.99/24, the retired 6to4 relay
    {0xc0a80000, 16, AddressClass::private_net},  // 192.168/16
    {0xc6120000, 15, AddressClass::reserved},     // 198.18/15, benchmarking
    {0xc6336400, 24, AddressClass::reserved},     // 198.51.100/24, documentation
    {0xcb007100, 24, AddressClass::reserved},     // 203.0.113/24, documentation
    {0xe0000000, 4, AddressClass::multicast},     // 224/4
    {0xf0000000, 4, AddressClass::reserved},      // 240/4, with 255.255.255.255 (broadcast)
};

std::uint32_t ipv4_at(const std::array<unsigned char, 16>& a, size_t at) {
  return static_cast<std::uint32_t>(a[at]) << 24 | static_cast<std::uint32_t>(a[at + 1]) << 16 |
         static_cast<std::uint32_t>(a[at + 2]) << 8 | a[at + 3];
}

bool zeros(const std::array<unsigned char, 16>& a, size_t from, size_t to) {
  return std::all_of(a.begin() + static_cast<std::ptrdiff_t>(from), a.begin() + static_cast<std::ptrdiff_t>(to),
                     [](unsigned char b) { return b == 0; });
}

// The first `n` bytes of `a` are `prefix`.
bool starts(const std::array<unsigned char, 16>& a, std::initializer_list<unsigned char> prefix) {
  return std::equal(prefix.begin(), prefix.end(), a.begin());
}

}  // namespace

std::string_view address_class_name(AddressClass c) {
  switch (c) {
    case AddressClass::global:
      return "public";
    case AddressClass::loopback:
      return "loopback";
    case AddressClass::private_net:
      return "private";
    case AddressClass::link_local:
      return "link-local";
    case AddressClass::unspecified:
      return "unspecified";
    case AddressClass::multicast:
      return "multicast";
    case AddressClass::reserved:
      return "reserved";
  }
  return "?";
}

AddressClass classify_ipv4(std::uint32_t address) {
  for (const Range4& r : k_ranges4) {
    if ((address >> (32 - r.bits)) == (r.net >> (32 - r.bits))) {
      return r.kind;
    }
  }
  return AddressClass::global;
}

AddressClass classify_ipv6(const std::array<unsigned char, 16>& a) {
  if (zeros(a, 0, 15) && a[15] <= 1) {
    return a[15] == 0 ? AddressClass::unspecified : AddressClass::loopback;
  }
  // Forms that carry an IPv4 address, where a connection ends up: v4-mapped (::ffff:0:0/96),
  // v4-translated (::ffff:0:0:0/96), v4-compatible (::/96), NAT64 (64:ff9b::/96).
  bool mapped = zeros(a, 0, 10) && a[10] == 0xff && a[11] == 0xff;
  bool translated = zeros(a, 0, 8) && a[8] == 0xff && a[9] == 0xff && a[10] == 0 && a[11] == 0;
  bool compatible = zeros(a, 0, 12);
  bool nat64 = starts(a, {0x00, 0x64, 0xff, 0x9b}) && zeros(a, 4, 12);
  if (mapped || translated || compatible || nat64) {
    return classify_ipv4(ipv4_at(a, 12));
  }
  if (starts(a, {0x20, 0x02})) {
    return classify_ipv4(ipv4_at(a, 2));  // 6to4: 2002:AABB:CCDD::/48 is a.b.c.d's network
  }
  if (starts(a, {0x00, 0x64, 0xff, 0x9b, 0x00, 0x01})) {
    return AddressClass::private_net;  // 64:ff9b:1::/48, a network's own NAT64
  }
  if (starts(a, {0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}) || starts(a, {0x20, 0x01, 0x0d, 0xb8})) {
    return AddressClass::reserved;  // 100::/64 (discard), 2001:db8::/32 (documentation)
  }
  if (a[0] == 0xff) {
    return AddressClass::multicast;
  }
  if ((a[0] & 0xfe) == 0xfc) {
    return AddressClass::private_net;  // fc00::/7, unique local
  }
  if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) {
    return AddressClass::link_local;  // fe80::/10
  }
  if (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0) {
    return AddressClass::private_net;  // fec0::/10, the retired site-local
  }
  return AddressClass::global;
}

std::optional<NumericAddress> read_numeric(std::string_view text_in) {
  std::string text(text_in);
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  char buf[INET6_ADDRSTRLEN] = {};
  if (text.find(':') != std::string::npos) {
    // No host name has a colon: text with one is an address or no host reelq can know.
    if (text.find('%') != std::string::npos) {
      return NumericAddress{text, AddressClass::link_local};
    }
    std::array<unsigned char, 16> v6{};
    if (inet_pton(AF_INET6, text.c_str(), v6.data()) != 1) {
      return NumericAddress{text, AddressClass::reserved};
    }
    inet_ntop(AF_INET6, v6.data(), buf, sizeof buf);
    return NumericAddress{buf, classify_ipv6(v6)};
  }
  // inet_aton reads the forms the resolver does, so a numeric host is judged as a connection
  // would read it.
  in_addr v4{};
  if (inet_aton(text.c_str(), &v4) == 1) {
    inet_ntop(AF_INET, &v4, buf, sizeof buf);
    return NumericAddress{buf, classify_ipv4(ntohl(v4.s_addr))};
  }
  return std::nullopt;
}

}  // namespace reelq
