#include "api/result_hosts.h"

#include <Poco/Exception.h>
#include <Poco/URI.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <optional>

#include "api/address_class.h"
#include "api/answer_text.h"
#include "api/resolver.h"

namespace reelq {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

bool is_local_host(const std::string& host_in) {
  std::string host = lower(host_in);
  while (!host.empty() && host.back() == '.') {
    host.pop_back();  // "localhost." is localhost
  }
  if (host.empty() || host == "localhost" || host.ends_with(".localhost")) {
    return true;
  }
  std::optional<NumericAddress> numeric = read_numeric(host);
  return numeric && numeric->kind != AddressClass::global;
}

std::string result_urls_problem(const std::vector<std::string>& urls, const std::string& api_base,
                                const std::string& secret) {
  if (urls.size() > k_max_result_urls) {
    return fmt::format("success with {} result URLs; a take has at most {}", urls.size(), k_max_result_urls);
  }
  const bool local_api = host_rule_for(api_base) == HostRule::any;
  for (const std::string& url : urls) {
    // An API that echoes the request puts the key in a URL: fetching it would send the key to
    // that host, and every message quoting the URL or its host would hold it.
    if (!secret.empty() && url.find(secret) != std::string::npos) {
      return fmt::format("success with a result URL that holds the API key: '{}'",
                         answer_text(url, secret, k_max_answer_code));
    }
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
          "success with a result URL on '{}', this machine, a private network or no public host; "
          "reelq fetches results there only from an API there",
          answer_text(host, secret, k_max_answer_code));
    }
  }
  return "";
}

}  // namespace reelq
