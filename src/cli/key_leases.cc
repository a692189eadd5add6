#include "cli/key_leases.h"

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "cli/stop_signals.h"
#include "util/clock.h"
#include "util/time_text.h"

namespace reelq {

namespace {

// How often a waiting run looks at the lease again (real time): a stop is seen this soon too.
constexpr auto k_look_again = std::chrono::milliseconds(200);

}  // namespace

KeyLeases take_key_leases(const std::vector<KeyIdentity>& keys, const std::string& batch, const std::string& db,
                          const std::filesystem::path& folder, std::ostream& err) {
  KeyLeases out;
  const std::string holder =
      fmt::format("reelq pid {} for batch {} of {} since {}", ::getpid(), batch,
                  std::filesystem::absolute(db).lexically_normal().string(), iso_utc(system_clock().now_ms()));
  for (const KeyIdentity& key : keys) {
    const TimeMs asked = system_clock().now_ms();
    bool said = false;
    for (;;) {
      std::string held_by;
      auto lease = KeyLease::try_take(folder, key.fingerprint, holder, held_by);
      if (!lease) {
        fmt::print(err,
                   "reelq: warning: the lease of key {} could not be taken ({}); another reelq on this machine "
                   "driving it at the same time would overdrive it\n",
                   key.name, lease.error().message);
        break;
      }
      if (*lease) {
        out.held.push_back(std::move(**lease));
        if (said) {
          fmt::print(err, "reelq: key {} is free after {}: batch {} starts\n", key.name,
                     format_duration(system_clock().now_ms() - asked), batch);
        }
        break;
      }
      if (!said) {
        fmt::print(err,
                   "reelq: key {} is driven by {} on this machine; batch {} waits for it to finish so the key's "
                   "caps hold, then starts (nothing is sent meanwhile; Ctrl-C stops)\n",
                   key.name, held_by, batch);
        said = true;
      }
      if (stop_requested()) {
        out.stopped = true;
        return out;
      }
      std::this_thread::sleep_for(k_look_again);
    }
  }
  return out;
}

}  // namespace reelq
