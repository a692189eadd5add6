#pragma once
// Which result URLs of a success answer reelq fetches. The answer chooses them, so it could point
// reelq at the machine itself or its network (a router's page, a cloud's metadata service at
// 169.254.169.254), or ask for thousands of files.
#include <cstddef>
#include <string>
#include <vector>

namespace reelq {

// The most result files one take may have. sora-2-pro makes one video per task; a success with
// more than this is not trusted for any of them (the take fails RESULT_UNREADABLE, task kept).
constexpr std::size_t k_max_result_urls = 4;

// Whether `host` (as in a URL: a name, an IPv4 address in any form the resolver accepts, or an
// IPv6 address with or without brackets) names this machine or a private network: loopback,
// "localhost", link-local, private (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7), or
// unspecified. A name other than localhost is public here (it is not resolved).
bool is_local_host(const std::string& host);

// Why these result URLs are not fetched, or "" when they may be: more than k_max_result_urls, a
// scheme other than http(s), or a host that is_local_host while the API base's host is not (an
// API on this machine or its network, like the simulator, may point at hosts there). Values the
// answer chose are quoted through answer_text() with `secret` redacted.
std::string result_urls_problem(const std::vector<std::string>& urls, const std::string& api_base,
                                const std::string& secret);

}  // namespace reelq
