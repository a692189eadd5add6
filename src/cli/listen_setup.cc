#include "cli/listen_setup.h"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <filesystem>

#include "cli/invocation.h"
#include "listen/image_base.h"
#include "listen/probe.h"
#include "listen/served_images.h"
#include "listen/token.h"
#include "manifest/image_check.h"
#include "queue/listen_store.h"

namespace reelq {

namespace {

std::string without_trailing_slash(std::string url) {
  while (url.ends_with('/')) {
    url.pop_back();
  }
  return url;
}

std::string first_names(const std::vector<LocalImageUse>& images) {
  std::string out;
  for (size_t i = 0; i < images.size() && i < 3; ++i) {
    out += (i ? ", " : "") + images[i].uri.substr(7);
  }
  return images.size() > 3 ? out + fmt::format(" and {} more", images.size() - 3) : out;
}

Status check_flags(const BatchInfo& batch, const Settings& s, const std::vector<LocalImageUse>& served) {
  bool callback = s.request_type == RequestType::callback;
  if (callback && s.public_url.empty()) {
    return Error{ErrorKind::usage,
                 "callback mode needs --public-url URL (how apixo reaches this machine: a tunnel or reverse proxy "
                 "to --listen HOST:PORT); or use --mode async"};
  }
  if (!served.empty() && s.public_url.empty()) {
    return Error{ErrorKind::usage,
                 fmt::format("batch {} names local image files ({}); the apixo API only fetches URLs. Either pass "
                             "--public-url URL with --listen HOST:PORT so reelq serves them, or upload them and set "
                             "settings.image_base_url (reelq checks each copy), or write their public URLs in the "
                             "manifest",
                             batch.name, first_names(served))};
  }
  if ((callback || !served.empty() || !s.public_url.empty()) && s.listen.empty()) {
    return Error{ErrorKind::usage, "--public-url needs --listen HOST:PORT: the address reelq's listener binds"};
  }
  if (s.tls_cert.empty() != s.tls_key.empty()) {
    return Error{ErrorKind::usage, "--tls-cert and --tls-key go together"};
  }
  return ok_status();
}

// A local image that cannot be used fails the takes that name it and were not sent yet
// (IMAGE_CHECK_FAILED, fixable and retried with `reelq retry`), and only those: the rest of the
// batch runs, and takes already at the API are followed to their end.
void fail_unsent(RunStore& store, const LocalImageUse& image, const std::string& problem, std::ostream& err) {
  if (image.unsent_rows.empty()) {
    fmt::print(err, "reelq: {}; the takes that name it were already sent\n", problem);
    return;
  }
  fmt::print(err, "reelq: {}; not submitting {} (fix the file, then `{} retry --fail-code IMAGE_CHECK_FAILED`)\n",
             problem, fmt::join(image.unsent_job_ids, ", "), reelq_command());
  for (std::int64_t row : image.unsent_rows) {
    JobUpdate u;
    u.state = JobState::failed;
    u.fail_code = "IMAGE_CHECK_FAILED";
    u.fail_msg = problem;
    EventRecord e{"image_check", 0, std::nullopt, problem, "", "failed"};
    if (auto st = store.update(row, u, &e); !st) {
      fmt::print(err, "reelq: {}\n", st.error().message);
    }
  }
}

// settings.image_base_url: every local image checked once; jobs naming a bad one fail unsent.
std::map<std::string, std::string> check_uploaded(RunStore& store, const BatchInfo& batch, const Settings& s,
                                                  const std::vector<LocalImageUse>& images, HttpTransport& cdn,
                                                  std::ostream& err) {
  std::vector<std::string> uris;
  for (const auto& img : images) {
    uris.push_back(img.uri);
  }
  auto dir = std::filesystem::path(batch.manifest_path).parent_path();
  std::map<std::string, std::string> urls;
  auto checks = check_image_base(uris, dir, s.image_base_url, cdn);
  for (size_t i = 0; i < checks.size(); ++i) {
    if (checks[i].problem.empty()) {
      urls.emplace(checks[i].uri, checks[i].url);
      continue;
    }
    fail_unsent(store, images[i], checks[i].problem, err);
  }
  return urls;
}

// Takes of the batch that may still be submitted (queued, or submitting until recovery decides).
Result<int> unsent_takes(RunStore& store, const std::string& batch) {
  auto counts = store.counts(batch);
  if (!counts) {
    return counts.error();
  }
  auto n = [&](JobState s) {
    auto it = counts->by_state.find(s);
    return it == counts->by_state.end() ? 0 : it->second;
  };
  return n(JobState::queued) + n(JobState::submitting);
}

// Each served file again, as validation checked it: it may have changed or gone since it was
// enqueued (then the takes naming it fail unsent). `unsent`: a take not sent yet names one of them,
// so the API will fetch it from the listener.
std::vector<std::string> recheck_served(RunStore& store, const std::vector<LocalImageUse>& served, bool& unsent,
                                        std::ostream& err) {
  std::vector<std::string> uris;
  unsent = false;
  for (const auto& img : served) {
    ImageCheck check = check_image(img.uri.substr(std::string_view("file://").size()), "/");
    if (!check.problem.empty()) {
      fail_unsent(store, img, check.problem + " (it changed since it was enqueued)", err);
      continue;
    }
    uris.push_back(img.uri);
    unsent = unsent || !img.unsent_rows.empty();
  }
  return uris;
}

// Starts the listener on `address` with `token` and the files it serves; returns the probe's secret.
Result<ProbeSecret> start_listener(ListenRun& run, const std::pair<std::string, int>& address, const std::string& token,
                                   ImageTable table, const Settings& settings) {
  ListenerOptions options;
  options.host = address.first;
  options.port = address.second;
  options.token = token;
  options.images = std::move(table);
  options.tls_cert = settings.tls_cert;
  options.tls_key = settings.tls_key;
  options.probe = ProbeSecret::make();
  ProbeSecret probe = options.probe;
  run.inbox = std::make_unique<BoundedInbox>();
  run.listener = std::make_unique<Listener>(std::move(options), *run.inbox);
  if (auto st = run.listener->start(); !st) {
    return st.error();
  }
  return probe;
}

// The public URL must lead to this listener while the API still has something to reach it for (a
// callback or an image of a take not sent yet): otherwise nothing is submitted.
Status check_reachable(RunStore& store, const BatchInfo& batch, const Settings& settings, HttpTransport& cdn,
                       const std::string& base, const std::string& token, const ProbeSecret& probe, bool unsent_images,
                       std::ostream& err) {
  bool unsent_callbacks = false;
  if (settings.request_type == RequestType::callback) {
    auto unsent = unsent_takes(store, batch.name);
    if (!unsent) {
      return unsent.error();
    }
    unsent_callbacks = *unsent > 0;
  }
  auto st = probe_public_url(cdn, base, settings.listen, token, probe);
  if (st) {
    return ok_status();
  }
  if (unsent_callbacks || unsent_images) {
    return Error{ErrorKind::usage, fmt::format("{}. Nothing was submitted. Point the tunnel or proxy at {}, or "
                                               "give the --public-url that leads there",
                                               st.error().message, settings.listen)};
  }
  // Every take is at the API already: polling collects them whatever the URL, so the run goes on.
  fmt::print(err, "reelq: warning: {}; every take is at the API already, and polling collects them\n",
             st.error().message);
  return ok_status();
}

// For people: what the listener does and where (never the token).
std::string listen_summary(const Settings& settings, const std::string& host, int port, size_t served,
                           const std::string& base) {
  std::string what = settings.request_type == RequestType::callback ? "callbacks" : "";
  if (served > 0) {
    what += fmt::format("{}{} local image{}", what.empty() ? "" : " and ", served, served == 1 ? "" : "s");
  }
  return fmt::format("listening on {}:{}{} for {}, reached at {}", host, port,
                     settings.tls_cert.empty() ? "" : " (HTTPS)", what, base);
}

}  // namespace

Status check_listen_settings(const Manifest& manifest, const Settings& settings) {
  std::vector<LocalImageUse> served;
  if (settings.image_base_url.empty()) {
    for (const JobSpec& job : manifest.jobs) {
      for (const auto& image : job.images) {
        if (image.starts_with("file://")) {
          served.push_back({image, {}, {job.id}, {}, {job.id}});
        }
      }
    }
  }
  BatchInfo batch;
  batch.name = manifest.batch;
  return check_flags(batch, settings, served);
}

Result<ListenRun> set_up_listen(SQLite::Database& db, RunStore& store, const BatchInfo& batch, const Settings& settings,
                                HttpTransport& cdn, std::ostream& err) {
  auto images = open_local_images(db, batch.name);
  if (!images) {
    return images.error();
  }
  const bool upload_checked = !settings.image_base_url.empty();
  std::vector<LocalImageUse> served = upload_checked ? std::vector<LocalImageUse>{} : *images;
  if (auto st = check_flags(batch, settings, served); !st) {
    return st.error();
  }
  ListenRun run;
  if (upload_checked && !images->empty()) {
    run.image_urls = check_uploaded(store, batch, settings, *images, cdn, err);
  }
  if (settings.request_type != RequestType::callback && served.empty()) {
    return run;  // nothing for a listener to do
  }
  auto token = batch_listen_token(db, batch.name, make_listen_token);
  if (!token) {
    return token.error();
  }
  auto address = parse_listen_address(settings.listen);
  if (!address) {
    return address.error();
  }
  bool unsent_images = false;
  auto table = ImageTable::build(recheck_served(store, served, unsent_images, err));
  if (!table) {
    return table.error();
  }
  std::string base = without_trailing_slash(settings.public_url);
  for (auto& [uri, url] : table->urls(base + "/img/" + *token)) {
    run.image_urls.emplace(uri, url);
  }
  if (settings.request_type == RequestType::callback) {
    run.callback_url = base + "/cb/" + *token;
  }
  auto probe = start_listener(run, *address, *token, std::move(table.value()), settings);
  if (!probe) {
    return probe.error();
  }
  if (auto st = check_reachable(store, batch, settings, cdn, base, *token, *probe, unsent_images, err); !st) {
    return st.error();
  }
  run.summary = listen_summary(settings, address->first, run.listener->port(), served.size(), base);
  return run;
}

}  // namespace reelq
