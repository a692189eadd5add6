#pragma once
// The simulated apixo API, without the network: requests in, replies out, time from a Clock.
// SimServer puts it behind Poco's HTTP server; tests drive it directly on a fake clock.
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "api/transport.h"
#include "sim/sim_config.h"
#include "util/clock.h"
#include "util/result.h"

namespace reelq {

struct SimRequest {
  std::string method;
  std::string path;   // without the query
  std::string query;  // raw, without '?'
  std::string authorization;
  std::string body;
};

// What the server must do besides answering normally. endless and trickle send the body without a
// Content-Length and then go on sending (zeros after the body) until the client gives up: endless
// as fast as it can, trickle 4 bytes every 250 ms.
enum class SimFault { none, drop_before, drop_after, truncate, endless, trickle };

struct SimReply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  Headers headers;
  SimFault fault = SimFault::none;
  // Real milliseconds the server waits before answering (or before dropping the connection):
  // SimConfig::latency, for API requests only.
  TimeMs delay_ms = 0;
};

struct CallbackDelivery {
  std::string task_id;
  std::string url;
  std::string body;
  int attempt = 1;  // 1 = first delivery; the API tries 3 more times at most
};

class SimCore {
 public:
  // `video` is the bytes served for every result file.
  SimCore(SimConfig config, Clock& clock, std::string video);
  ~SimCore();

  // Where result URLs point, e.g. http://127.0.0.1:PORT. Set once the port is known.
  void set_public_base(const std::string& base);
  // Fetches an image URL on this machine (the server asks over loopback): nullopt when it cannot
  // be fetched or is not an image, else the SHA-256 of its bytes ("" for a URL on another host,
  // never fetched: only bad_image_word makes those fail). Fetched images are listed in the stats.
  using ImageProbe = std::function<std::optional<std::string>(const std::string& url)>;
  void set_image_probe(ImageProbe probe);

  SimReply handle(const SimRequest& request);

  // Callbacks whose time has come (first deliveries and retries), removed from the pending set;
  // report each one's fate with callback_done.
  std::vector<CallbackDelivery> due_callbacks();
  void callback_done(const CallbackDelivery& delivery, bool delivered);

  // The counts of docs/sim.md, with a "keys" object by key name (never the key's text).
  std::string stats_json();
  // A top-up (or a charge, with a negative amount) of key `key` (0-based, in --keys order), as
  // the account's owner would make one mid-run: the new balance, or nullopt for no such key.
  // Also POST /__sim/credits?key=NAME&add=USD (or key=N, the index).
  std::optional<double> add_credits(size_t key, double usd);
  // How many tasks were created per input object (the stats' tasks_by_input), keyed by the input
  // with its keys sorted (cost/spend.h canonical_input spells a request's the same way).
  std::map<std::string, int> tasks_by_input();

  // SimConfig::state_path: read what an earlier simulator knew (before serving), and write it
  // (after each task is created, and when the simulator stops). No-ops without a state path.
  Status load_state();
  void save_state();

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace reelq
