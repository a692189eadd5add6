#include "cli/notify_url.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <vector>

namespace reelq {

namespace {

constexpr const char* k_what = "--notify needs an http:// or https:// URL with a host";

Error refused(const std::string& why) {
  return Error{ErrorKind::usage, fmt::format("{} ({}); nothing was enqueued or sent", k_what, why)};
}

bool scheme_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
}

// A DNS name or IPv4 address; an IPv6 literal comes in brackets.
bool valid_host(const std::string& host) {
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    return std::all_of(host.begin() + 1, host.end() - 1,
                       [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.'; });
  }
  return !host.empty() && std::all_of(host.begin(), host.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
  });
}

// The host and the port apart: "h:8080" -> "h", "8080"; "[::1]:80" -> "[::1]", "80".
std::pair<std::string, std::string> split_port(const std::string& hostport) {
  size_t colon = hostport.rfind(':');
  if (colon == std::string::npos || hostport.find(']', colon) != std::string::npos) {
    return {hostport, ""};
  }
  return {hostport.substr(0, colon), hostport.substr(colon + 1)};
}

bool valid_port(const std::string& port) {
  return port.size() <= 5 && !port.empty() &&
         std::all_of(port.begin(), port.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }) &&
         std::stoi(port) >= 1 && std::stoi(port) <= 65535;
}

int hex_value(char c) {
  if (std::isdigit(static_cast<unsigned char>(c))) {
    return c - '0';
  }
  c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

// user:password as typed in a URL, %XX decoded (a password may hold '@' or ':' only so).
std::string percent_decoded(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string base64(const std::string& in) {
  static const char* k_digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < in.size(); i += 3) {
    unsigned n = static_cast<unsigned char>(in[i]) << 16;
    n |= i + 1 < in.size() ? static_cast<unsigned char>(in[i + 1]) << 8 : 0;
    n |= i + 2 < in.size() ? static_cast<unsigned char>(in[i + 2]) : 0;
    out += k_digits[(n >> 18) & 63];
    out += k_digits[(n >> 12) & 63];
    out += i + 1 < in.size() ? k_digits[(n >> 6) & 63] : '=';
    out += i + 2 < in.size() ? k_digits[n & 63] : '=';
  }
  return out;
}

}  // namespace

Result<NotifyTarget> parse_notify_url(const std::string& url) {
  if (std::any_of(url.begin(), url.end(), [](char c) { return static_cast<unsigned char>(c) <= ' ' || c == 0x7f; })) {
    return refused("it holds a space or a control character");
  }
  size_t sep = url.find("://");
  if (sep == std::string::npos || sep == 0 || !std::all_of(url.begin(), url.begin() + sep, scheme_char)) {
    return refused("no scheme: it must start with https:// or http://");
  }
  std::string scheme = url.substr(0, sep);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
  if (scheme != "http" && scheme != "https") {
    return refused(fmt::format("got {}://", scheme.substr(0, 16)));
  }
  size_t start = sep + 3;
  size_t end = std::min(url.find_first_of("/?#", start), url.size());
  std::string authority = url.substr(start, end - start);
  size_t at = authority.rfind('@');
  std::string userinfo = at == std::string::npos ? "" : authority.substr(0, at);
  std::string hostport = at == std::string::npos ? authority : authority.substr(at + 1);
  auto [host, port] = split_port(hostport);
  if (!valid_host(host)) {
    return refused(fmt::format("{}:// without a host", scheme));
  }
  if (hostport.size() != host.size() && !valid_port(port)) {
    return refused(fmt::format("{}://{} with a port that is not one", scheme, host));
  }
  NotifyTarget t;
  t.origin = scheme + "://" + hostport;
  t.url = t.origin + url.substr(end);
  if (!userinfo.empty()) {
    t.authorization = "Basic " + base64(percent_decoded(userinfo));
  }
  return t;
}

std::string without_secrets(const std::string& text, const std::string& url) {
  std::string out = text;
  size_t start = url.find("://");
  start = start == std::string::npos ? 0 : start + 3;
  size_t path = std::min(url.find_first_of("/?#", start), url.size());
  size_t at = url.rfind('@', path);
  std::vector<std::string> secrets{url, url.substr(path)};
  if (at != std::string::npos && at >= start) {
    secrets.push_back(url.substr(start, at - start));
  }
  for (const auto& s : secrets) {
    if (s.size() > 1) {
      for (size_t p = out.find(s); p != std::string::npos; p = out.find(s, p)) {
        out.replace(p, s.size(), "...");
      }
    }
  }
  return out;
}

}  // namespace reelq
