// What run and resume hold before their first request (cli/run_prepare.h).
#include "cli/run_prepare.h"

#include <unistd.h>

#include <algorithm>

#include "api/client.h"
#include "cli/db_location.h"
#include "cli/run_parts.h"
#include "queue/handoff.h"
#include "queue/run_store.h"
#include "util/clock.h"

namespace reelq {

// The key, the database and its lock: what both run and resume need before anything else.
Result<Prepared> prepare(const RunFlags& flags) {
  auto key = load_run_key(flags);
  if (!key) {
    return key.error();
  }
  auto lock = RunLock::acquire(flags.db);
  if (!lock) {
    return lock.error();
  }
  // A key file only its owner can read: the queue it makes (the batch's prompts, its taskIds, its
  // result URLs) is kept as private. Otherwise the user's umask decides, as for any file.
  auto queue = open_queue(flags.db, key->private_file ? DbPrivacy::private_ : DbPrivacy::umask);
  if (!queue) {
    return queue.error();
  }
  // From now on, jobs another `reelq run` or `enqueue` adds to this queue come to this run.
  const TimeMs since = system_clock().now_ms();
  if (auto st = open_runner(queue.value()->db(), static_cast<long>(::getpid())); !st) {
    return st.error();
  }
  Prepared p;
  p.runner_since = since;
  p.queue = std::move(queue.value());
  p.lock.emplace(std::move(lock.value()));
  p.key = std::move(key->secret);
  p.driven = key->driven;
  p.more_keys = std::move(key->more);
  p.warnings = std::move(key->warnings);
  return p;
}

// Before the first request with the keys (the balance read included): wait while another reelq on
// this machine drives one of them. In fingerprint order, so two runs sharing two keys never wait
// for each other. True when a stop was asked for while waiting.
bool lease_keys(Prepared& p, const std::string& what, const RunFlags& flags, std::ostream& err) {
  std::vector<KeyIdentity> keys{KeyIdentity{p.driven.name, key_fingerprint(p.key)}};
  for (const auto& k : p.more_keys) {
    keys.push_back(KeyIdentity{k.driven.name, key_fingerprint(k.secret)});
  }
  std::sort(keys.begin(), keys.end(), [](const auto& a, const auto& b) { return a.fingerprint < b.fingerprint; });
  p.leases = take_key_leases(keys, what, flags.db, KeyLease::default_folder(), err);
  return p.leases.stopped;
}

// The balance first: an API that cannot be reached stops the run before anything is written. Read
// with the first key no other reelq drives (cli/key_leases.h).
BalanceResult read_balance_of(Prepared& p, const Settings& settings, const RunFlags& flags) {
  auto transport = make_transport(flags.ca_file);
  const std::string* key = &p.key;
  auto waiting = [&](const std::string& secret) {
    return std::find(p.leases.waiting.begin(), p.leases.waiting.end(), key_fingerprint(secret)) !=
           p.leases.waiting.end();
  };
  for (const auto& more : p.more_keys) {
    if (waiting(*key) && !waiting(more.secret)) {
      key = &more.secret;
    }
  }
  HttpApiClient api(*transport, settings.api_base, *key, system_clock());
  RunStore store(p.queue->db(), system_clock());
  return read_balance(store, api, system_clock(), settings);
}

void say_key_warnings(const Prepared& p, std::ostream& err) {
  for (const auto& w : p.warnings) {
    err << "reelq: warning: " << w << "\n";
  }
}

DrainOptions drain_options(Prepared& p, const RunFlags& flags, FinishReport& finish) {
  DrainOptions options;
  options.key = p.driven;
  options.more_keys = p.more_keys;
  options.leases = &p.leases;
  options.finish = flags.hooks.any() ? &finish : nullptr;
  return options;
}

}  // namespace reelq
