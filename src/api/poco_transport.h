#pragma once
// HttpTransport over Poco::Net: keep-alive sessions reused per host, TLS verified against the
// system store (or a given CA file), HTTP(S)_PROXY / NO_PROXY honoured, connect and read timeouts.
#include <memory>
#include <string>

#include "api/transport.h"

namespace reelq {

struct TransportOptions {
  std::string user_agent;  // "reelq/VERSION"
  std::string ca_file;     // "" = the system's trust store
  double connect_timeout_s = 10;
  double read_timeout_s = 60;
  bool use_proxy_env = true;  // read HTTPS_PROXY / HTTP_PROXY / NO_PROXY
};

std::unique_ptr<HttpTransport> make_poco_transport(const TransportOptions& options);

// The proxy to use for `host` from the environment ("" = none): HTTPS_PROXY / https_proxy for
// https, HTTP_PROXY / http_proxy for http, unless NO_PROXY / no_proxy matches the host.
std::string proxy_for(const std::string& scheme, const std::string& host);

}  // namespace reelq
