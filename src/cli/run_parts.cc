#include "cli/run_parts.h"

#include <unistd.h>

#include "api/poco_transport.h"
#include "cli/stop_signals.h"
#include "fetch/download_options.h"

namespace reelq {

namespace {

// Threads making API calls at once. One key's budget is about a request a second; six workers keep
// it spent while one or two answers take half a minute, and a stop waits for at most this many.
constexpr int k_api_workers = 6;

DownloadOptions waking_download_options(const Settings& settings) {
  DownloadOptions options = download_options(settings);
  options.on_finished = [] { run_wakeup().notify(); };
  return options;
}

}  // namespace

std::unique_ptr<HttpTransport> make_transport(const std::string& ca_file) {
  TransportOptions options;
  options.user_agent = std::string("reelq/") + REELQ_VERSION;
  options.ca_file = ca_file;
  return make_poco_transport(options);
}

RunParts::RunParts(const Settings& settings, const std::vector<PartsKey>& keys, const std::string& ca_file)
    : m_settings(settings),
      m_clock(system_clock()),
      m_transport(make_transport(ca_file)),
      m_cdn(make_transport(ca_file)),
      m_downloader(std::make_unique<Downloader>(*m_cdn, m_clock, waking_download_options(settings))) {
  for (const PartsKey& k : keys) {
    m_pool.push_back(PoolKey{KeyIdentity{k.name, key_fingerprint(k.secret)}, k.rpm, k.max_concurrent, ""});
    m_apis.push_back(std::make_unique<HttpApiClient>(*m_transport, settings.api_base, k.secret, m_clock));
  }
}

void RunParts::wait_for_keys(const std::vector<std::string>& fingerprints,
                             std::function<bool(const KeyIdentity&)> join) {
  for (PoolKey& k : m_pool) {
    k.waiting = std::find(fingerprints.begin(), fingerprints.end(), k.key.fingerprint) != fingerprints.end();
  }
  m_join = std::move(join);
}

std::vector<ApiClient*> RunParts::usable_apis() {
  std::vector<ApiClient*> apis;
  for (size_t k = 0; k < m_pool.size(); ++k) {
    if (m_pool[k].refused.empty() && !m_pool[k].waiting) {
      apis.push_back(m_apis[k].get());
    }
  }
  return apis;
}

std::vector<KeyIdentity> RunParts::key_identities() const {
  std::vector<KeyIdentity> ids;
  for (const PoolKey& k : m_pool) {
    ids.push_back(k.key);
  }
  return ids;
}

Status RunParts::listen(SQLite::Database& db, RunStore& store, const BatchInfo& batch, std::ostream& err) {
  auto listen = set_up_listen(db, store, batch, m_settings, *m_cdn, err);
  if (!listen) {
    return listen.error();
  }
  m_listen = std::move(listen.value());
  return ok_status();
}

std::unique_ptr<Runner> RunParts::make_runner(RunStore& store, RunObserver& observer, const BatchInfo& batch,
                                              const SpendPricing& pricing) {
  RunConfig config;
  config.batch = batch.name;
  config.model = batch.model;
  config.key = m_pool.front().key;
  config.pool = m_pool;
  config.join_key = m_join;
  config.settings = m_settings;
  config.seed = static_cast<std::uint64_t>(::getpid());
  config.inbox = m_listen.inbox.get();
  config.callback_url = m_listen.callback_url;
  config.image_urls = m_listen.image_urls;
  if (m_listen.inbox) {
    m_listen.inbox->notify_too(&run_wakeup());
  }
  ApiClients clients;
  for (auto& api : m_apis) {
    clients.push_back(api.get());
  }
  // Six workers a key, at most 24: each key's budget kept spent while some answers are slow.
  const int workers = std::min(24, k_api_workers * static_cast<int>(m_apis.size()));
  m_dispatch = std::make_unique<WorkerDispatch>(clients, workers, run_wakeup());
  config.dispatch = m_dispatch.get();
  config.wakeup = &run_wakeup();
  config.max_in_flight = k_api_workers;  // a key's: what one key may have had on the wire
  config.price = pricing.price;
  config.committed_spend = pricing.committed;
  config.spend_currency = pricing.currency;
  return std::make_unique<Runner>(store, *m_apis.front(), *m_downloader, m_clock, observer, config, stop_requests());
}

}  // namespace reelq
