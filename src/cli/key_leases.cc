#include "cli/key_leases.h"

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include "cli/stop_signals.h"
#include "util/clock.h"
#include "util/time_text.h"

namespace reelq {

namespace {

// How often a waiting run looks at the leases again (real time): a stop is seen this soon too.
constexpr auto k_look_again = std::chrono::milliseconds(200);

enum class Take { taken, busy, failed };

}  // namespace

bool KeyLeases::try_join(const KeyIdentity& key) {
  std::string held_by;
  auto lease = KeyLease::try_take(m_folder, key.fingerprint, m_holder, held_by);
  if (!lease || !*lease) {
    return false;  // busy still (a lease that cannot be taken at all was said at start-up)
  }
  m_held.push_back(std::move(**lease));
  std::erase(waiting, key.fingerprint);
  return true;
}

KeyLeases take_key_leases(const std::vector<KeyIdentity>& keys, const std::string& batch, const std::string& db,
                          const std::filesystem::path& folder, std::ostream& err) {
  KeyLeases out(
      folder, fmt::format("reelq pid {} for batch {} of {} since {}", ::getpid(), batch,
                          std::filesystem::absolute(db).lexically_normal().string(), iso_utc(system_clock().now_ms())));
  // One look at every key: taken, busy (who holds it), or not to be had at all (run without it).
  auto look = [&](const KeyIdentity& key, std::string& held_by) {
    auto lease = KeyLease::try_take(folder, key.fingerprint, out.m_holder, held_by);
    if (!lease) {
      fmt::print(err,
                 "reelq: warning: the lease of key {} could not be taken ({}); another reelq on this machine "
                 "driving it at the same time would overdrive it\n",
                 key.name, lease.error().message);
      return Take::failed;
    }
    if (!*lease) {
      return Take::busy;
    }
    out.m_held.push_back(std::move(**lease));
    return Take::taken;
  };
  const TimeMs asked = system_clock().now_ms();
  std::vector<std::string> settled;  // fingerprints taken, or that cannot be had at all
  bool said = false;
  for (;;) {
    std::vector<std::pair<KeyIdentity, std::string>> busy;  // and who holds each
    for (const KeyIdentity& key : keys) {
      if (std::find(settled.begin(), settled.end(), key.fingerprint) != settled.end()) {
        continue;
      }
      std::string held_by;
      if (look(key, held_by) == Take::busy) {
        busy.emplace_back(key, held_by);
      } else {
        settled.push_back(key.fingerprint);
      }
    }
    out.waiting.clear();
    for (const auto& b : busy) {
      out.waiting.push_back(b.first.fingerprint);
    }
    // One key waits for its lease; a pool starts once one of its keys is free.
    if (busy.empty() || (keys.size() > 1 && !settled.empty())) {
      if (said) {
        fmt::print(err, "reelq: free after {}: batch {} starts\n", format_duration(system_clock().now_ms() - asked),
                   batch);
      }
      for (const auto& [key, held_by] : busy) {
        fmt::print(err,
                   "reelq: key {} is driven by {} on this machine; batch {} starts with the pool's other keys, and "
                   "{} joins when it is free (nothing is sent with it meanwhile)\n",
                   key.name, held_by, batch, key.name);
      }
      return out;
    }
    if (!said) {
      for (const auto& [key, held_by] : busy) {
        fmt::print(err,
                   "reelq: key {} is driven by {} on this machine; batch {} waits for it to finish so the key's "
                   "caps hold, then starts (nothing is sent meanwhile; Ctrl-C stops)\n",
                   key.name, held_by, batch);
      }
      said = true;
    }
    if (stop_requested()) {
      out.stopped = true;
      return out;
    }
    std::this_thread::sleep_for(k_look_again);
  }
}

}  // namespace reelq
