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
// IPv6 address with or without brackets) is not a public host: "localhost", or a numeric address
// that address_class.h does not call public (loopback, private, link-local, unspecified, multicast,
// reserved; an IPv6 form that carries an IPv4 address is judged by it). A name other than
// localhost is public here: it is not resolved (the downloader judges what it resolves to,
// api/resolver.h).
bool is_local_host(const std::string& host);

// Why these result URLs are not fetched, or "" when they may be: more than k_max_result_urls, one
// that holds `secret` (the API key, echoed back), a scheme other than http(s), or a host that is_local_host while the API base's host is not
// (host_rule_for: an API on this machine or its network, like the simulator, may point at hosts
// there). Values the answer chose are quoted through answer_text() with `secret` redacted.
std::string result_urls_problem(const std::vector<std::string>& urls, const std::string& api_base,
                                const std::string& secret);

}  // namespace reelq
