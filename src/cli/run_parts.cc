#include "cli/run_parts.h"

#include <unistd.h>

#include "api/poco_transport.h"
#include "cli/stop_signals.h"
#include "fetch/download_options.h"

namespace reelq {

std::unique_ptr<HttpTransport> make_transport(const std::string& ca_file) {
  TransportOptions options;
  options.user_agent = std::string("reelq/") + REELQ_VERSION;
  options.ca_file = ca_file;
  return make_poco_transport(options);
}

RunParts::RunParts(const Settings& settings, const std::string& key, const std::string& ca_file)
    : m_settings(settings),
      m_clock(system_clock()),
      m_transport(make_transport(ca_file)),
      m_cdn(make_transport(ca_file)),
      m_api(std::make_unique<HttpApiClient>(*m_transport, settings.api_base, key, m_clock)),
      m_downloader(std::make_unique<Downloader>(*m_cdn, m_clock, download_options(settings))) {}

Status RunParts::listen(SQLite::Database& db, RunStore& store, const BatchInfo& batch, std::ostream& err) {
  auto listen = set_up_listen(db, store, batch, m_settings, *m_cdn, err);
  if (!listen) {
    return listen.error();
  }
  m_listen = std::move(listen.value());
  return ok_status();
}

std::unique_ptr<Runner> RunParts::make_runner(RunStore& store, RunObserver& observer, const BatchInfo& batch) {
  RunConfig config;
  config.batch = batch.name;
  config.model = batch.model;
  config.settings = m_settings;
  config.seed = static_cast<std::uint64_t>(::getpid());
  config.inbox = m_listen.inbox.get();
  config.callback_url = m_listen.callback_url;
  config.image_urls = m_listen.image_urls;
  return std::make_unique<Runner>(store, *m_api, *m_downloader, m_clock, observer, config, stop_requests());
}

}  // namespace reelq
