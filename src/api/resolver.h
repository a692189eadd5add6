#pragma once
// Where a result URL's connection goes, decided once. A success answer chooses its result URLs;
// checking only the name would let a public-looking name resolve to 127.0.0.1 or 10.x when the
// connection is made (DNS rebinding). So the name is resolved here, every address it gives is
// checked, and the transport connects to the checked address (HttpRequest::connect_to), never to a
// second resolution a DNS server could answer differently.
#include <memory>
#include <string>
#include <vector>

#include "util/result.h"

namespace reelq {

// Names to addresses: the seam tests replace with a table (tests/support/fake_resolver.h).
class Resolver {
 public:
  virtual ~Resolver() = default;
  // Every address `host` (a name, not a numeric address) resolves to, as numeric text
  // ("93.184.216.34", "2606:4700::1"), in the order the system prefers; an Error (kind io) with
  // the resolver's words when it gives none.
  virtual Result<std::vector<std::string>> resolve(const std::string& host) = 0;
};

// The system's resolver (getaddrinfo: /etc/hosts, DNS, as every program on the machine resolves).
std::unique_ptr<Resolver> make_system_resolver();

// Which hosts result URLs may be on.
enum class HostRule {
  any,          // anywhere: the API is itself on this machine or a private network (the simulator,
                // the tests), so its results may be there too. Nothing is resolved in advance.
  public_only,  // public unicast addresses only, judged on what the name resolves to
};

// public_only, unless the API base's host is local itself (is_local_host: localhost, or a numeric
// address that is not public). A name in the API base is not resolved for this: it is the user's
// own setting, and the rule should not depend on what a DNS server says tonight.
HostRule host_rule_for(const std::string& api_base);

// Where to connect for `url`, under `rule`.
struct ConnectTarget {
  enum class Verdict {
    go,          // connect to `address`
    refused,     // the host is one results may not come from: fetch nothing, and do not try again
    unresolved,  // the name did not resolve (DNS down, no such name): nothing fetched, try later
  };
  Verdict verdict = Verdict::go;
  // go: the numeric address to connect to, checked; "" under HostRule::any, where the transport
  // resolves the host as usual.
  std::string address;
  // refused / unresolved: why, naming the host (made printable and cut: it came from an answer),
  // e.g. "the result URL's host 'cdn.example' resolves to 10.0.0.5, a private address".
  std::string why;
};

// The host of `url` judged under `rule`: under public_only, "localhost" and any numeric address
// that is not public are refused; a name is resolved once with `resolver` and refused if any of
// its addresses is not public (one of them is where the connection would go), else the target is
// its first IPv4 address, or its first address when it has no IPv4 one (as Poco prefers).
ConnectTarget connect_target(const std::string& url, HostRule rule, Resolver& resolver);

}  // namespace reelq
