#pragma once
// The leases of the keys a run drives (keys/key_lease.h), taken before anything is sent: while
// another reelq on this machine drives one of them, from any folder and any queue, this run does
// not drive it, and says who does, so the two never overdrive the key together. One key: the run
// waits for it, and its jobs start as soon as the other run ends, in the same night. A pool: the
// run starts with the keys that are free, and a busy key joins when its lease frees (try_join).
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "api/key_identity.h"
#include "keys/key_lease.h"

namespace reelq {

class KeyLeases {
 public:
  KeyLeases() = default;
  KeyLeases(std::filesystem::path folder, std::string holder)
      : m_folder(std::move(folder)), m_holder(std::move(holder)) {}

  // Takes the lease of `key` if it is free now (true), keeping it for the process's life.
  bool try_join(const KeyIdentity& key);

  std::vector<std::string> waiting;  // fingerprints of the pool's keys another process drives
  bool stopped = false;              // a stop was asked for while waiting: nothing was sent

 private:
  friend KeyLeases take_key_leases(const std::vector<KeyIdentity>&, const std::string&, const std::string&,
                                   const std::filesystem::path&, std::ostream&);
  std::filesystem::path m_folder;
  std::string m_holder;
  std::vector<KeyLease> m_held;
};

// `folder`: where leases live (KeyLease::default_folder()). A lease that cannot be taken at all
// (no state folder, a planted link) is a warning on `err` and the run goes on without it.
KeyLeases take_key_leases(const std::vector<KeyIdentity>& keys, const std::string& batch, const std::string& db,
                          const std::filesystem::path& folder, std::ostream& err);

}  // namespace reelq
