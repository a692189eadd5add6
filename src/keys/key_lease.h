#pragma once
// One key, one driver on this machine. The API's caps belong to a key, so two reelq processes
// driving one key from two folders (two queues) would each fill its 10 slots and the API would
// refuse their submits. Each process that drives a key holds the key's lease: an exclusive
// flock(2) on `<fingerprint>.lock` in the user's state folder ($XDG_STATE_HOME/reelq/keys, else
// ~/.local/state/reelq/keys). A second process for the same key waits until the lease is free and
// says who holds it; the kernel releases a lease when its holder ends in any way (kill -9 too), so
// a stale lease cannot outlive its process.
//
// The lock file holds one line about its holder (pid, batch, queue, since): never the key, which
// it is named after only by fingerprint. It is opened without following a symlink.
#include <filesystem>
#include <optional>
#include <string>

#include "util/result.h"

namespace reelq {

class KeyLease {
 public:
  // $XDG_STATE_HOME/reelq/keys, else $HOME/.local/state/reelq/keys.
  static std::filesystem::path default_folder();

  // The lease of the key with this fingerprint, when no other process holds it: it is taken and
  // `holder` written into it. When one does, nullopt and `held_by` says who (its line). An error
  // when the folder or the file cannot be made or opened (the caller decides what that means).
  static Result<std::optional<KeyLease>> try_take(const std::filesystem::path& folder, const std::string& fingerprint,
                                                  const std::string& holder, std::string& held_by);

  KeyLease(KeyLease&& other) noexcept;
  KeyLease& operator=(KeyLease&& other) noexcept;
  KeyLease(const KeyLease&) = delete;
  KeyLease& operator=(const KeyLease&) = delete;
  ~KeyLease();  // releases the lease

 private:
  explicit KeyLease(int fd) : m_fd(fd) {}
  int m_fd = -1;
};

}  // namespace reelq
