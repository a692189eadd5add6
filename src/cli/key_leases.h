#pragma once
// The leases of the keys a run drives (keys/key_lease.h), taken before anything is sent: while
// another reelq on this machine drives one of them, from any folder and any queue, this run waits
// and says who drives it, so the two never overdrive the key together; its jobs start as soon as
// the other run ends, in the same night.
#include <ostream>
#include <string>
#include <vector>

#include "api/key_identity.h"
#include "keys/key_lease.h"

namespace reelq {

struct KeyLeases {
  std::vector<KeyLease> held;
  bool stopped = false;  // a stop was asked for while waiting: nothing was sent
};

// `folder`: where leases live (KeyLease::default_folder()). A lease that cannot be taken at all
// (no state folder, a planted link) is a warning on `err` and the run goes on without it.
KeyLeases take_key_leases(const std::vector<KeyIdentity>& keys, const std::string& batch, const std::string& db,
                          const std::filesystem::path& folder, std::ostream& err);

}  // namespace reelq
