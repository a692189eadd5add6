#pragma once
// The composition root of a drain: the clock, the API client and the downloader over their own
// connections, the listener the batch needs, the API workers, and the runner over all of them. Built in the order
// each part needs the others; `reelq run`, `resume` and the rehearsal all build them here.
#include <SQLiteCpp/Database.h>

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "api/client.h"
#include "api/transport.h"
#include "api/worker_dispatch.h"
#include "cli/listen_setup.h"
#include "cli/run_money.h"
#include "fetch/downloader.h"
#include "queue/run_store.h"
#include "sched/key_lane.h"
#include "sched/run_observer.h"
#include "sched/runner.h"
#include "settings.h"
#include "util/clock.h"
#include "util/result.h"

namespace reelq {

// A transport to the API or its CDN, saying it is reelq and trusting `ca_file` ("" = the system's).
std::unique_ptr<HttpTransport> make_transport(const std::string& ca_file);

// A key the run drives: the secret (memory only), its name in the keys file ("default" for
// APIXO_API_KEY / --api-key-file) and its caps.
struct PartsKey {
  std::string secret;
  std::string name = "default";
  int rpm = 60;
  int max_concurrent = 10;
};

class RunParts {
 public:
  // An API client per key (over shared connections) and the downloader over its own, on the
  // system clock. One key, or a pool (sched/key_lane.h).
  RunParts(const Settings& settings, const std::vector<PartsKey>& keys, const std::string& ca_file);
  RunParts(const RunParts&) = delete;
  RunParts& operator=(const RunParts&) = delete;

  // Starts what `batch` needs to hear callbacks and serve local images (cli/listen_setup.h);
  // a usage error before anything is sent when the settings cannot work.
  Status listen(SQLite::Database& db, RunStore& store, const BatchInfo& batch, std::ostream& err);

  // The loop over these parts, reporting to `observer`, which must outlive it; stops asked for are
  // read from cli/stop_signals.h.
  // `pricing` keeps settings.max_spend (cli/run_money.h).
  std::unique_ptr<Runner> make_runner(RunStore& store, RunObserver& observer, const BatchInfo& batch,
                                      const SpendPricing& pricing);

  Clock& clock() { return m_clock; }
  // The run's keys as the queue records them (never the keys).
  std::vector<KeyIdentity> key_identities() const;
  size_t key_count() const { return m_pool.size(); }
  const PoolKey& key(size_t k) const { return m_pool[k]; }
  // The client of key `k` (the first: the one balance reads around the run use).
  ApiClient& api(size_t k = 0) { return *m_apis[k]; }
  // The clients of the keys the API has not refused before the run: whose balances are summed.
  std::vector<ApiClient*> usable_apis();
  // The API refused key `k` before the run (the balance check): the runner starts without it.
  void refuse_key(size_t k, std::string why) { m_pool[k].refused = std::move(why); }
  // Another reelq on this machine drives a key (cli/key_leases.h): it waits out of the pool, and
  // joins once `join` takes its lease.
  void wait_for_keys(const std::vector<std::string>& fingerprints, std::function<bool(const KeyIdentity&)> join);
  const Downloader& downloader() const { return *m_downloader; }
  // What the listener does, for people ("" = no listener).
  const std::string& listen_summary() const { return m_listen.summary; }

 private:
  Settings m_settings;
  Clock& m_clock;
  std::unique_ptr<HttpTransport> m_transport;
  std::unique_ptr<HttpTransport> m_cdn;  // downloads get their own connections
  std::vector<PoolKey> m_pool;
  std::function<bool(const KeyIdentity&)> m_join;
  std::vector<std::unique_ptr<HttpApiClient>> m_apis;  // by key
  std::unique_ptr<Downloader> m_downloader;
  ListenRun m_listen;
  std::unique_ptr<WorkerDispatch> m_dispatch;  // after the client it calls: ends first
};

}  // namespace reelq
