#pragma once
// The real Poco transport as tests use it against servers on 127.0.0.1: short timeouts, and no
// proxy from the environment (a proxy would take the request off this machine).
#include <memory>

#include "api/poco_transport.h"

namespace reelq::test {

inline std::unique_ptr<HttpTransport> local_transport() {
  TransportOptions o;
  o.user_agent = "reelq-test";
  o.connect_timeout_s = 2;
  o.read_timeout_s = 5;
  o.use_proxy_env = false;
  return make_poco_transport(o);
}

}  // namespace reelq::test
