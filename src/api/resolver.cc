#include "api/resolver.h"

#include <Poco/Exception.h>
#include <Poco/URI.h>
#include <arpa/inet.h>
#include <fmt/format.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>

#include "api/address_class.h"
#include "api/answer_text.h"
#include "api/result_hosts.h"

namespace reelq {

namespace {

class SystemResolver final : public Resolver {
 public:
  Result<std::vector<std::string>> resolve(const std::string& host) override {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG;  // no IPv6 answers on a machine without IPv6, as Poco asks
    addrinfo* list = nullptr;
    int rc = getaddrinfo(host.c_str(), nullptr, &hints, &list);
    if (rc != 0) {
      return Error{ErrorKind::io, gai_strerror(rc)};
    }
    std::vector<std::string> out;
    for (addrinfo* ai = list; ai; ai = ai->ai_next) {
      char buf[INET6_ADDRSTRLEN] = {};
      const void* where = ai->ai_family == AF_INET6
                              ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(ai->ai_addr)->sin6_addr)
                              : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(ai->ai_addr)->sin_addr);
      if ((ai->ai_family == AF_INET || ai->ai_family == AF_INET6) && inet_ntop(ai->ai_family, where, buf, sizeof buf) &&
          std::find(out.begin(), out.end(), buf) == out.end()) {
        out.emplace_back(buf);
      }
    }
    freeaddrinfo(list);
    if (out.empty()) {
      return Error{ErrorKind::io, "no IPv4 or IPv6 address"};
    }
    return out;
  }
};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// A host as the answer spelled it, fit for a message.
std::string quoted(const std::string& host) {
  return "'" + printable_excerpt(host, k_max_answer_code) + "'";
}

std::string a_class(AddressClass kind) {
  std::string_view name = address_class_name(kind);
  bool vowel = name.front() == 'u';  // "an unspecified address"
  return fmt::format("{} {} address", vowel ? "an" : "a", name);
}

ConnectTarget refuse(std::string why) {
  return {ConnectTarget::Verdict::refused, "", std::move(why)};
}

// The addresses a name resolved to, judged: refused if any is not public.
ConnectTarget judge_resolved(const std::string& host, const std::vector<std::string>& addresses) {
  std::string first;
  std::string first_v4;
  for (const std::string& text : addresses) {
    std::optional<NumericAddress> a = read_numeric(text);
    if (!a) {
      return refuse(fmt::format("the result URL's host {} resolves to {}, which is no address", quoted(host),
                                printable_excerpt(text, k_max_answer_code)));
    }
    if (a->kind != AddressClass::global) {
      return refuse(fmt::format("the result URL's host {} resolves to {}, {}", quoted(host), a->text, a_class(a->kind)));
    }
    if (first.empty()) {
      first = a->text;
    }
    if (first_v4.empty() && a->text.find(':') == std::string::npos) {
      first_v4 = a->text;
    }
  }
  return {ConnectTarget::Verdict::go, first_v4.empty() ? first : first_v4, ""};
}

}  // namespace

std::unique_ptr<Resolver> make_system_resolver() {
  return std::make_unique<SystemResolver>();
}

HostRule host_rule_for(const std::string& api_base) {
  std::string host;
  try {
    host = Poco::URI(api_base).getHost();
  } catch (const Poco::Exception&) {
  }
  return !host.empty() && is_local_host(host) ? HostRule::any : HostRule::public_only;
}

ConnectTarget connect_target(const std::string& url, HostRule rule, Resolver& resolver) {
  if (rule == HostRule::any) {
    return {};
  }
  std::string host;
  try {
    host = Poco::URI(url).getHost();
  } catch (const Poco::Exception&) {
    return refuse("the result URL cannot be read");
  }
  std::string name = lower(host);
  while (!name.empty() && name.back() == '.') {
    name.pop_back();
  }
  if (name.empty()) {
    return refuse("the result URL names no host");
  }
  if (name == "localhost" || name.ends_with(".localhost")) {
    return refuse(fmt::format("the result URL's host {} is this machine", quoted(host)));
  }
  if (std::optional<NumericAddress> numeric = read_numeric(name)) {
    if (numeric->kind != AddressClass::global) {
      return refuse(fmt::format("the result URL's host {} is {}", quoted(host), a_class(numeric->kind)));
    }
    return {ConnectTarget::Verdict::go, numeric->text, ""};
  }
  Result<std::vector<std::string>> addresses = resolver.resolve(name);
  if (!addresses) {
    return {ConnectTarget::Verdict::unresolved, "",
            fmt::format("cannot resolve the result URL's host {}: {}", quoted(host), addresses.error().message)};
  }
  if (addresses->empty()) {
    return {ConnectTarget::Verdict::unresolved, "",
            fmt::format("cannot resolve the result URL's host {}: no address", quoted(host))};
  }
  return judge_resolved(host, *addresses);
}

}  // namespace reelq
