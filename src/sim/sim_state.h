#pragma once
// What the simulator knows that must outlive it: with `reelq sim --state FILE`, a simulator that
// is stopped and started again still knows every task it created, what each key has left and
// how often each input was submitted, as the real API does when reelq merely lost its way to it.
// The test that kills the simulator mid-run (tests/integration/test_network.py) depends on it.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "util/clock.h"
#include "util/result.h"

namespace reelq {

struct SimTask {
  std::string id;
  size_t key = 0;  // index into the simulator's --keys
  TimeMs created = 0;
  TimeMs processing_at = 0;
  TimeMs done_at = 0;
  TimeMs expires_at = 0;
  std::string fail_code;  // "" = success
  std::string fail_msg;
  double cost = 0;
  std::string callback_url;
  bool callback_started = false;
  bool refunded = false;
  // When the client first learned the task had ended (a status answer or a delivered callback
  // that said so); 0 while it has not. The stats' done_unseen comes from it.
  std::optional<TimeMs> seen_at;
};

struct SimSnapshot {
  std::vector<SimTask> tasks;   // in the order they were created
  std::vector<double> credits;  // per key, in --keys order
  std::map<std::string, int> tasks_by_input;
};

std::string snapshot_json(const SimSnapshot& snapshot);
Result<SimSnapshot> parse_snapshot(const std::string& json);

// Written beside `path` and renamed over it: a simulator killed mid-write leaves the last whole one.
Status write_snapshot(const std::string& path, const SimSnapshot& snapshot);
// nullopt-like: an empty snapshot when `path` does not exist yet.
Result<SimSnapshot> read_snapshot(const std::string& path);

}  // namespace reelq
