#include "cli/output_folder.h"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "cli/batch_settings.h"
#include "cli/commands.h"
#include "fetch/downloader.h"
#include "fetch/folder_claim.h"
#include "keys/trust_file.h"
#include "queue/database.h"
#include "queue/operations.h"
#include "util/text.h"

namespace reelq {

namespace fs = std::filesystem;

Status check_output_folder(const std::string& batch, const std::string& queue_id, const fs::path& dir) {
  if (auto owner = foreign_claim(read_claims(dir), batch, queue_id)) {
    return foreign_claim_error(dir, *owner);
  }
  return ok_status();
}

Status check_output_folder_origin(const Settings& settings, const std::string& queue_id) {
  if (settings.output_dir_home.empty()) {
    return ok_status();  // --output-dir: the user's own choice of folder, links and all
  }
  fs::path home(settings.output_dir_home);
  fs::path rel = fs::path(settings.output_dir).lexically_relative(home);
  if (rel.empty() || *rel.begin() == "..") {
    // Kept by the batch from an earlier run: followed if that run was this user's --output-dir.
    if (!queue_id.empty() && is_trusted(default_trust_file(), queue_id, settings.output_dir)) {
      return ok_status();
    }
    return Error{ErrorKind::usage,
                 fmt::format("the queue says the batch's results go to {}, outside the manifest's folder {}, but no "
                             "run of yours chose that folder (the queue may come from another machine or person). "
                             "Nothing was sent. If it is yours, give --output-dir {} once",
                             settings.output_dir, home.string(), shell_word(settings.output_dir))};
  }
  fs::path on_the_way = home;
  for (const fs::path& part : rel) {
    on_the_way /= part;
    std::error_code ec;
    if (!fs::is_symlink(on_the_way, ec)) {
      continue;
    }
    fs::path real = fs::weakly_canonical(settings.output_dir, ec);
    std::string how = on_the_way == fs::path(settings.output_dir)
                          ? "is a symbolic link"
                          : fmt::format("is reached through {}, a symbolic link", on_the_way.string());
    return Error{
        ErrorKind::usage,
        fmt::format("the output folder {} {} to {}: reelq does not write through a link in the manifest's "
                    "folder (whoever made it chooses where the files go). Nothing was sent. Remove the "
                    "link, or write there on purpose with --output-dir {}",
                    settings.output_dir, how, fs::read_symlink(on_the_way, ec).string(), shell_word(real.string()))};
  }
  return ok_status();
}

Status precheck_output_folder(const Manifest& manifest, const std::string& manifest_path, const std::string& db,
                              const SettingFlags& flags) {
  std::string id;
  Result<Settings> settings = Error{ErrorKind::internal, "not resolved"};
  std::error_code ec;
  if (fs::exists(db, ec)) {
    auto queue = open_queue(db);
    if (!queue) {
      return queue.error();
    }
    auto qid = queue_id(queue.value()->db());
    if (!qid) {
      return qid.error();
    }
    id = *qid;
    settings = manifest_batch_settings(&queue.value()->db(), manifest, manifest_path, flags);
  } else {
    settings = manifest_batch_settings(nullptr, manifest, manifest_path, flags);
  }
  if (!settings) {
    return settings.error();
  }
  if (auto st = check_output_folder_origin(*settings, id); !st) {
    return st;
  }
  return check_output_folder(manifest.batch, id, settings->output_dir);
}

Result<std::string> take_output_folder(RunStore& store, const BatchInfo& batch, const Settings& settings,
                                       const std::string& queue_id, const std::string& db) {
  if (auto st = check_output_folder_origin(settings, queue_id); !st) {
    return st.error();
  }
  if (auto st = check_output_folder(batch.name, queue_id, settings.output_dir); !st) {
    return st.error();
  }
  std::error_code ec;
  fs::create_directories(settings.output_dir, ec);
  if (ec) {
    return Error{ErrorKind::usage,
                 fmt::format("cannot create the output folder {}: {}", settings.output_dir, ec.message())};
  }
  // Like a folder that cannot be created: the user's setting, and nothing was sent.
  if (auto st = claim_folder(settings.output_dir, {queue_id, batch.name, db}); !st) {
    return Error{ErrorKind::usage, fmt::format("the output folder cannot be written: {}", st.error().message)};
  }
  // Chosen with --output-dir: a later resume may go back to it without the flag.
  if (settings.output_dir_home.empty()) {
    if (auto st = add_trusted(default_trust_file(), queue_id, settings.output_dir); !st) {
      return st.error();
    }
  }
  // What a killed run was downloading is fetched again; its half-written file goes.
  remove_stale_parts(settings.output_dir);
  std::string moved;
  if (!batch.output_dir.empty() && batch.output_dir != settings.output_dir) {
    // Said once, where it is decided: files already downloaded are not moved, nor fetched again.
    moved = fmt::format("batch {} now sends its results to {}; the files already downloaded stay in {}", batch.name,
                        settings.output_dir, batch.output_dir);
  }
  if (auto st = store.set_output_dir(batch.name, settings.output_dir); !st) {
    return st.error();
  }
  return moved;
}

Status refetch_deleted_results(SQLite::Database& db, RunStore& store, const std::string& batch, OutputStyle style,
                               std::ostream& out) {
  auto missing = missing_results(db, batch);
  if (!missing) {
    return missing.error();
  }
  for (const MissingResult& m : *missing) {
    if (m.state != JobState::succeeded) {
      continue;
    }
    JobUpdate u;
    u.state = JobState::downloading;
    EventRecord e{"download", 0,        std::nullopt, "a result file is no longer on disk; fetching it again",
                  m.task_id,  "refetch"};
    if (auto st = store.update(m.row, u, &e); !st) {
      return st;
    }
    if (style == OutputStyle::json) {
      fmt::print(
          out,
          R"({{"event":"refetch","job":{},"take":{},"task_id":{},"message":"a result file is no longer on disk; fetching it again"}})"
          "\n",
          json_quote(m.job_id), m.take, json_quote(m.task_id));
    } else {
      fmt::print(out, "{} take {}: a result file is no longer on disk; fetching it again\n", m.job_id, m.take);
    }
  }
  return ok_status();
}

std::string files_line(RunStore& store, const std::string& batch, const std::string& output_dir) {
  std::string earlier;
  if (auto folders = store.file_folders(batch)) {
    for (const auto& f : *folders) {
      if (f != output_dir) {
        earlier += (earlier.empty() ? "" : ", ") + f;
      }
    }
  }
  return earlier.empty() ? output_dir
                         : fmt::format("{} (and, downloaded before the batch moved there, {})", output_dir, earlier);
}

}  // namespace reelq
