#pragma once
// The composition root of a drain: the clock, the API client and the downloader over their own
// connections, the listener the batch needs, the API workers, and the runner over all of them. Built in the order
// each part needs the others; `reelq run`, `resume` and the rehearsal all build them here.
#include <SQLiteCpp/Database.h>

#include <memory>
#include <ostream>
#include <string>

#include "api/client.h"
#include "api/transport.h"
#include "api/worker_dispatch.h"
#include "cli/listen_setup.h"
#include "cli/run_money.h"
#include "fetch/downloader.h"
#include "queue/run_store.h"
#include "sched/run_observer.h"
#include "sched/runner.h"
#include "settings.h"
#include "util/clock.h"
#include "util/result.h"

namespace reelq {

// A transport to the API or its CDN, saying it is reelq and trusting `ca_file` ("" = the system's).
std::unique_ptr<HttpTransport> make_transport(const std::string& ca_file);

class RunParts {
 public:
  // The API client (with `key`, kept in memory only) and the downloader, each over its own
  // connections, on the system clock.
  // `key_name`: the key's name in the keys file ("default" for APIXO_API_KEY / --api-key-file).
  RunParts(const Settings& settings, const std::string& key, const std::string& ca_file,
           const std::string& key_name = "default");
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
  // The key the runner submits with, as the queue records it (never the key).
  const KeyIdentity& key_identity() const { return m_key; }
  ApiClient& api() { return *m_api; }
  const Downloader& downloader() const { return *m_downloader; }
  // What the listener does, for people ("" = no listener).
  const std::string& listen_summary() const { return m_listen.summary; }

 private:
  Settings m_settings;
  Clock& m_clock;
  std::unique_ptr<HttpTransport> m_transport;
  std::unique_ptr<HttpTransport> m_cdn;  // downloads get their own connections
  KeyIdentity m_key;
  std::unique_ptr<HttpApiClient> m_api;
  std::unique_ptr<Downloader> m_downloader;
  ListenRun m_listen;
  std::unique_ptr<WorkerDispatch> m_dispatch;  // after the client it calls: ends first
};

}  // namespace reelq
