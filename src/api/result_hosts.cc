#include "api/result_hosts.h"

#include <Poco/Exception.h>
#include <Poco/URI.h>
#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>

#include "api/answer_text.h"

namespace reelq {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool local_ipv4(std::uint32_t a) {
  auto in = [&](std::uint32_t net, int bits) { return (a >> (32 - bits)) == (net >> (32 - bits)); };
  return in(0x00000000, 8)       // 0/8: "this network", 0.0.0.0 reaches this machine
         || in(0x7f000000, 8)    // loopback
         || in(0x0a000000, 8)    // private
         || in(0x64400000, 10)   // carrier-grade NAT, a provider's private network
         || in(0xa9fe0000, 16)   // link-local, cloud metadata services
         || in(0xac100000, 12)   // private
         || in(0xc0a80000, 16);  // private
}

bool local_ipv6(const std::array<unsigned char, 16>& a) {
  bool zero_to_14 = std::all_of(a.begin(), a.begin() + 15, [](unsigned char b) { return b == 0; });
  if (zero_to_14 && (a[15] == 0 || a[15] == 1)) {
    return true;  // :: and ::1
  }
  bool v4_mapped =
      std::all_of(a.begin(), a.begin() + 10, [](unsigned char b) { return b == 0; }) && a[10] == 0xff && a[11] == 0xff;
  if (v4_mapped) {
    return local_ipv4(static_cast<std::uint32_t>(a[12]) << 24 | static_cast<std::uint32_t>(a[13]) << 16 |
                      static_cast<std::uint32_t>(a[14]) << 8 | a[15]);
  }
  return (a[0] & 0xfe) == 0xfc                        // fc00::/7, unique local
         || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80);  // fe80::/10, link-local
}

}  // namespace

bool is_local_host(const std::string& host_in) {
  std::string host = lower(host_in);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  while (!host.empty() && host.back() == '.') {
    host.pop_back();  // "localhost." is localhost
  }
  if (host.empty() || host == "localhost" || host.ends_with(".localhost")) {
    return true;
  }
  std::array<unsigned char, 16> v6{};
  if (host.find(':') != std::string::npos) {
    // A zone ("fe80::1%eth0") only ever goes with a link-local address.
    return host.find('%') != std::string::npos || inet_pton(AF_INET6, host.c_str(), v6.data()) != 1 || local_ipv6(v6);
  }
  // inet_aton reads the forms the resolver does ("127.1", "2130706433", "0x7f.0.0.1"), so a
  // numeric host is judged as the connection would read it.
  in_addr v4{};
  if (inet_aton(host.c_str(), &v4) == 1) {
    return local_ipv4(ntohl(v4.s_addr));
  }
  return false;
}

std::string result_urls_problem(const std::vector<std::string>& urls, const std::string& api_base,
                                const std::string& secret) {
  if (urls.size() > k_max_result_urls) {
    return fmt::format("success with {} result URLs; a take has at most {}", urls.size(), k_max_result_urls);
  }
  std::string base_host;
  try {
    base_host = Poco::URI(api_base).getHost();
  } catch (const Poco::Exception&) {
  }
  const bool local_api = !base_host.empty() && is_local_host(base_host);
  for (const std::string& url : urls) {
    std::string scheme;
    std::string host;
    try {
      Poco::URI uri(url);
      scheme = lower(uri.getScheme());
      host = uri.getHost();
    } catch (const Poco::Exception&) {
      return fmt::format("success with a result URL that cannot be read: '{}'",
                         answer_text(url, secret, k_max_answer_code));
    }
    if (scheme != "http" && scheme != "https") {
      return fmt::format("success with a result URL that is not http(s): '{}'",
                         answer_text(url, secret, k_max_answer_code));
    }
    if (!local_api && is_local_host(host)) {
      return fmt::format(
          "success with a result URL on '{}', this machine or a private network; reelq fetches "
          "results there only from an API there",
          answer_text(host, secret, k_max_answer_code));
    }
  }
  return "";
}

}  // namespace reelq
