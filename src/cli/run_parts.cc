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

RunParts::RunParts(const Settings& settings, const std::string& key, const std::string& ca_file,
                   const std::string& key_name)
    : m_settings(settings),
      m_clock(system_clock()),
      m_transport(make_transport(ca_file)),
      m_cdn(make_transport(ca_file)),
      m_key{key_name, key_fingerprint(key)},
      m_api(std::make_unique<HttpApiClient>(*m_transport, settings.api_base, key, m_clock)),
      m_downloader(std::make_unique<Downloader>(*m_cdn, m_clock, waking_download_options(settings))) {}

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
  config.key = m_key;
  config.settings = m_settings;
  config.seed = static_cast<std::uint64_t>(::getpid());
  config.inbox = m_listen.inbox.get();
  config.callback_url = m_listen.callback_url;
  config.image_urls = m_listen.image_urls;
  if (m_listen.inbox) {
    m_listen.inbox->notify_too(&run_wakeup());
  }
  m_dispatch = std::make_unique<WorkerDispatch>(*m_api, k_api_workers, run_wakeup());
  config.dispatch = m_dispatch.get();
  config.wakeup = &run_wakeup();
  config.max_in_flight = k_api_workers;
  config.price = pricing.price;
  config.committed_spend = pricing.committed;
  config.spend_currency = pricing.currency;
  return std::make_unique<Runner>(store, *m_api, *m_downloader, m_clock, observer, config, stop_requests());
}

}  // namespace reelq
