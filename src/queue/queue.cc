#include "queue/queue.h"

#include <Poco/JSON/Parser.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <unordered_map>

#include "manifest/job_input.h"
#include "queue/database.h"
#include "queue/input_match.h"
#include "queue/manifest_origin.h"
#include "util/text.h"

namespace reelq {

namespace {

struct StoredTake {
  std::int64_t row;
  JobState state;
  std::string fail_code;
  std::string note;
  bool has_results = false;  // the API rendered it (resultUrls known): a paid render
  std::string input;         // the input_json it renders
  std::string task_id;       // "" when the API never gave it one
  std::string collect;       // the `reelq retry` that collects its task, when holds_collectable_task
};

constexpr const char* k_note_takes_lowered = "takes lowered in the manifest";
constexpr const char* k_note_changed =
    "left out: its spec changed in the manifest (--replace-changed renders the new one)";
constexpr const char* k_note_removed = "no longer in ";  // + the manifest's file name
// The enqueue event of a take added with --into-batch from a file not the batch's own.
constexpr const char* k_outcome_joined = "joined";

// A failed take whose task the API may have rendered (and charged for) or may still render: retry
// collects it under the same taskId (fail_keeps_task), which a reset would make impossible.
bool holds_collectable_task(const StoredTake& t) {
  return t.state == JobState::failed && !t.task_id.empty() && fail_keeps_task(t.fail_code);
}

// Whether a take whose spec changed may be reset to render the new spec (job_state.h).
bool replaceable(const StoredTake& t) {
  return replaceable_when_changed(t.state, t.fail_code, !t.task_id.empty(), t.has_results);
}

struct StoredJob {
  std::string input_json;
  std::vector<StoredTake> takes;  // index = take - 1
};

// A take cancelled because the manifest stopped asking for it (takes lowered, the job removed,
// its spec changed without --replace-changed) returns when the manifest asks for it again. One
// cancelled with `reelq cancel` stays cancelled (`reelq retry --cancelled` brings it back).
bool restorable(const std::string& note) {
  return note == k_note_takes_lowered || note == k_note_changed || note.starts_with(k_note_removed);
}

std::string why_not_replaceable(const StoredTake& t) {
  if (holds_collectable_task(t) && !t.has_results) {
    return fmt::format(
        "it holds task {}, which the API may have rendered and charged for or may still render ({}); collect it "
        "first: {} (asks about the same task, not paid again)",
        t.task_id, t.fail_code, t.collect);
  }
  return t.state == JobState::succeeded || t.has_results ? "it was already rendered and paid for"
                                                         : fmt::format("it is at the API now ({})", to_string(t.state));
}

std::string take_list(const std::vector<int>& takes) {
  std::string out = takes.size() == 1 ? "take " : "takes ";
  for (size_t i = 0; i < takes.size(); ++i) {
    out += (i ? ", " : "") + std::to_string(takes[i]);
  }
  return out;
}

// A changed job left as it is (OnChanged::refuse), and the way to render its new spec.
std::string left_out_message(const std::string& place, const JobSpec& spec, const StoredJob& job,
                             const std::vector<const StoredTake*>& differing, const std::string& field) {
  const int stored_takes = static_cast<int>(job.takes.size());
  int held = 0;
  bool any_replaceable = false;
  std::vector<int> numbers;
  for (const StoredTake* t : differing) {
    held += t->state == JobState::queued ? 1 : 0;
    any_replaceable |= replaceable(*t);
    numbers.push_back(static_cast<int>(t - job.takes.data()) + 1);
  }
  std::string head =
      fmt::format("{}: job '{}' changed since it was enqueued ({} differs) and was left out", place, spec.id, field);
  if (any_replaceable || spec.takes > stored_takes) {
    return fmt::format("{}{}; add --replace-changed to render the new spec {}", head,
                       held ? fmt::format(" ({} not submitted)", count_of(held, "queued take")) : "",
                       any_replaceable ? "in place of takes not yet rendered" : "in the takes added");
  }
  std::string what = differing.size() == 1
                         ? fmt::format("{} {}", take_list(numbers),
                                       why_not_replaceable(*differing.front()).substr(std::string_view("it ").size()))
                         : fmt::format("{} were already rendered or are at the API", take_list(numbers));
  return fmt::format(
      "{}; {}. To render the new spec as well, raise takes to {} and add --replace-changed (or give "
      "the job another id)",
      head, what, stored_takes + 1);
}

// A take that keeps the spec it was rendered with (OnChanged::replace), and what renders the new one.
std::string kept_message(const std::string& place, const std::string& id, int take, const StoredTake& t,
                         const std::string& field, const std::vector<int>& renders_new, int stored_takes) {
  if (renders_new.empty()) {
    return fmt::format(
        "{}: job '{}' take {} changed ({} differs) but {}; it cannot be replaced and stays as it is. "
        "To render the new spec as well, raise takes to {}",
        place, id, take, field, why_not_replaceable(t), stored_takes + 1);
  }
  return fmt::format("{}: job '{}' take {} keeps its earlier spec: {}; {} render{} the new one", place, id, take,
                     why_not_replaceable(t), take_list(renders_new), renders_new.size() == 1 ? "s" : "");
}

// Jobs of the batch that `in_manifest` no longer names, except those joined from another file
// (--into-batch): their queued takes cancelled (unless OnRemoved::keep), their takes at the API
// left to finish. Listed in `report`.
template <class Cancel>
void find_removed(SQLite::Database& db, const std::string& batch, const std::vector<std::string>& order,
                  const std::unordered_map<std::string, StoredJob>& stored, const std::set<std::string>& in_manifest,
                  OnRemoved on_removed, const std::string& file_name, EnqueueReport& report, Cancel cancel_take) {
  std::set<std::string> joined;
  SQLite::Statement q(db,
                      "SELECT DISTINCT j.job_id FROM events e JOIN jobs j ON e.job = j.id WHERE j.batch = ? AND "
                      "e.endpoint = 'enqueue' AND e.outcome = ?");
  q.bind(1, batch);
  q.bind(2, k_outcome_joined);
  while (q.executeStep()) {
    joined.insert(q.getColumn(0).getString());
  }
  for (const std::string& id : order) {
    if (in_manifest.contains(id) || joined.contains(id)) {
      continue;
    }
    bool queued = false;
    bool at_api = false;
    for (const StoredTake& t : stored.at(id).takes) {
      at_api |= t.state == JobState::submitting || t.state == JobState::running || t.state == JobState::downloading;
      if (t.state == JobState::queued) {
        queued = true;
        if (on_removed == OnRemoved::cancel) {
          cancel_take(t, k_note_removed + file_name);
        }
      }
    }
    if (queued) {
      report.removed.push_back(id);
    }
    if (at_api) {
      report.removed_at_api.push_back(id);
    }
  }
}

// Jobs new to the queue that ask for exactly what a job the manifest no longer names has paid for
// (a take at the API or rendered): "OLD -> NEW" (NEW as new_job_label), for the warning that a run
// pays again.
std::vector<std::string> find_renamed(const std::vector<std::string>& order,
                                      const std::unordered_map<std::string, StoredJob>& stored,
                                      const std::set<std::string>& in_manifest,
                                      const std::vector<std::pair<std::string, std::string>>& new_jobs) {
  std::vector<std::string> out;
  if (new_jobs.empty()) {
    return out;
  }
  std::unordered_map<std::string, std::string> paid_by_input;  // input -> the removed job that paid for it
  for (const std::string& id : order) {
    if (in_manifest.contains(id)) {
      continue;
    }
    for (const StoredTake& t : stored.at(id).takes) {
      const bool paid = t.state == JobState::succeeded || t.state == JobState::running ||
                        t.state == JobState::downloading || t.state == JobState::submitting || t.has_results;
      if (paid) {
        paid_by_input.emplace(t.input, id);
      }
    }
  }
  for (const auto& [label, input] : new_jobs) {
    if (auto it = paid_by_input.find(input); it != paid_by_input.end()) {
      out.push_back(it->second + " -> " + label);
    }
  }
  return out;
}

// A job new to the queue as the rename warning names it: its id, and for a row of a jobs_from: list
// its place there as the manifest names the list ("shots-5 at shots.csv:5:1"), since a row inserted
// above it in the list is what moves generated ids most often.
std::string new_job_label(const JobSpec& spec) {
  if (spec.source_file.empty()) {
    return spec.id;
  }
  return fmt::format("{} at {}:{}:{}", spec.id, spec.source_file, spec.pos.line, spec.pos.col);
}

// The manifest field that differs between two input objects (canonical JSON from input_json()).
std::string changed_field(const std::string& before, const std::string& after) {
  Poco::JSON::Parser parser;
  auto a = parser.parse(before).extract<Poco::JSON::Object::Ptr>();
  parser.reset();
  auto b = parser.parse(after).extract<Poco::JSON::Object::Ptr>();
  static const std::pair<const char*, const char*> k_fields[] = {
      {"mode", "mode"}, {"prompt", "prompt"},         {"duration", "duration"},
      {"size", "size"}, {"resolution", "resolution"}, {"image_urls", "images"}};
  for (const auto& [api_key, manifest_key] : k_fields) {
    std::string va = a->has(api_key) ? a->get(api_key).toString() : "";
    std::string vb = b->has(api_key) ? b->get(api_key).toString() : "";
    if (va != vb) {
      return manifest_key;
    }
  }
  return "input";
}

}  // namespace

int BatchSummary::total() const {
  int n = 0;
  for (const auto& [state, count] : counts) {
    n += count;
  }
  return n;
}

Queue::Queue(std::unique_ptr<SQLite::Database> db, Clock& clock) : m_db(std::move(db)), m_clock(clock) {}

Result<std::unique_ptr<Queue>> Queue::open(const std::filesystem::path& path, Clock& clock, DbPrivacy privacy) {
  auto db = open_database(path, privacy);
  if (!db) {
    return db.error();
  }
  return std::make_unique<Queue>(std::move(db.value()), clock);
}

Result<std::optional<Error>> Queue::other_manifest(const Manifest& m, const std::filesystem::path& manifest_path) {
  try {
    SQLite::Statement q(*m_db, "SELECT manifest_path FROM batches WHERE name = ?");
    q.bind(1, m.batch);
    if (!q.executeStep()) {
      return std::optional<Error>();
    }
    std::string recorded = q.getColumn(0).getString();
    if (same_manifest_file(recorded, manifest_path, std::filesystem::path(m_db->getFilename()).parent_path())) {
      return std::optional<Error>();
    }
    return std::optional<Error>(Error{
        ErrorKind::conflict,
        fmt::format(
            "batch '{}' was created from {}, not from {}; nothing was enqueued. Give {} a batch name of its "
            "own (its batch: line; its jobs are then new jobs, rendered and paid for again), or add --into-batch to "
            "add its jobs to batch '{}' on purpose (jobs the batch rendered already are not rendered again)\n",
            m.batch, recorded, manifest_path.string(), manifest_path.string(), m.batch)});
  } catch (const SQLite::Exception& e) {
    return Error{ErrorKind::storage, fmt::format("cannot read the queue: {}", e.what())};
  }
}

Result<EnqueueReport> Queue::enqueue(const Manifest& m, const std::filesystem::path& manifest_path,
                                     const EnqueueOptions& options) {
  auto other = other_manifest(m, manifest_path);
  if (!other) {
    return other.error();
  }
  if (*other && options.into_batch == IntoBatch::no) {
    return **other;
  }
  // Jobs of a batch joined from another file say nothing about what this file removed.
  const bool own_manifest = !*other;
  const std::string file_name = manifest_path.filename().string();
  EnqueueReport report;
  std::vector<std::string> conflicts;
  TimeMs now = m_clock.now_ms();
  // Recorded canonically: the manifest read through a linked folder is the same manifest, and a
  // moved project's paths are found under its queue's folder (queue/relocate.h).
  std::error_code ec;
  std::string recorded_manifest = std::filesystem::weakly_canonical(manifest_path, ec).string();
  if (ec) {
    recorded_manifest = manifest_path.string();
  }
  try {
    SQLite::Transaction tx(*m_db, SQLite::TransactionBehavior::IMMEDIATE);
    if (options.precondition) {
      if (auto st = options.precondition(*m_db); !st) {
        return st.error();
      }
    }
    SQLite::Statement batch_q(*m_db, "SELECT model FROM batches WHERE name = ?");
    batch_q.bind(1, m.batch);
    if (batch_q.executeStep()) {
      std::string model = batch_q.getColumn(0).getString();
      if (model != m.model) {
        conflicts.push_back(
            fmt::format("batch '{}' was enqueued for model {}; the manifest now says {}. A batch keeps its model (its "
                        "takes, prices and render times are that model's): to render these jobs with {}, give the "
                        "batch a new name (batch: in the manifest)",
                        m.batch, model, m.model, m.model));
      }
      if (own_manifest) {
        // Its own manifest, perhaps found in a moved folder: recorded where it is now.
        SQLite::Statement upd(*m_db,
                              "UPDATE batches SET manifest_path = ?, settings_json = ?, updated_at = ? WHERE name = ?");
        upd.bind(1, recorded_manifest);
        upd.bind(2, m.settings_json);
        upd.bind(3, now);
        upd.bind(4, m.batch);
        upd.exec();
      }
    } else {
      SQLite::Statement ins(*m_db,
                            "INSERT INTO batches (name, model, manifest_path, settings_json, created_at, updated_at) "
                            "VALUES (?, ?, ?, ?, ?, ?)");
      ins.bind(1, m.batch);
      ins.bind(2, m.model);
      ins.bind(3, recorded_manifest);
      ins.bind(4, m.settings_json);
      ins.bind(5, now);
      ins.bind(6, now);
      ins.exec();
    }

    std::unordered_map<std::string, StoredJob> stored;
    std::vector<std::string> stored_order;  // job ids in queue order
    SQLite::Statement existing(*m_db,
                               "SELECT id, job_id, take, input_json, state, coalesce(fail_code, ''), "
                               "coalesce(note, ''), coalesce(result_urls, '') NOT IN ('', '[]'), coalesce(task_id, '') "
                               "FROM jobs WHERE batch = ? ORDER BY position, job_id, take");
    existing.bind(1, m.batch);
    while (existing.executeStep()) {
      std::string id = existing.getColumn(1).getString();
      auto [it, fresh] = stored.try_emplace(id);
      if (fresh) {
        stored_order.push_back(id);
      }
      StoredJob& j = it->second;
      j.input_json = existing.getColumn(3).getString();
      j.takes.push_back({existing.getColumn(0).getInt64(),
                         parse_job_state(existing.getColumn(4).getString()).value_or(JobState::queued),
                         existing.getColumn(5).getString(), existing.getColumn(6).getString(),
                         existing.getColumn(7).getInt() != 0, existing.getColumn(3).getString(),
                         existing.getColumn(8).getString(), ""});
      StoredTake& added = j.takes.back();
      if (holds_collectable_task(added)) {
        added.collect = fmt::format("{} retry --db {} --batch {} --job {} --fail-code {}", options.command,
                                    shell_word(m_db->getFilename()), shell_word(m.batch), shell_word(id),
                                    shell_word(added.fail_code));
      }
    }

    SQLite::Statement insert(*m_db,
                             "INSERT INTO jobs (batch, job_id, take, position, input_json, created_at, updated_at) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?)");
    // A take that starts over: what it was (task, failure) stays in the events table.
    SQLite::Statement requeue(
        *m_db,
        "UPDATE jobs SET input_json = ?, state = 'queued', position = ?, task_id = NULL, attempts = 0, "
        "request_body = NULL, fail_code = NULL, fail_msg = NULL, next_at = NULL, submitted_at = NULL, "
        "completed_at = NULL, api_create_time = NULL, api_complete_time = NULL, cost_time_ms = NULL, "
        "result_urls = NULL, note = NULL, ambiguous = 0, updated_at = ? WHERE id = ?");
    SQLite::Statement history(
        *m_db, "INSERT INTO events (job, at, endpoint, message, outcome) VALUES (?, ?, 'enqueue', ?, ?)");
    SQLite::Statement cancel(*m_db,
                             "UPDATE jobs SET state = 'cancelled', note = ?, completed_at = ?, updated_at = ? "
                             "WHERE id = ?");
    auto add_history = [&](std::int64_t row, const std::string& why, const char* outcome) {
      history.bind(1, row);
      history.bind(2, now);
      history.bind(3, why);
      history.bind(4, outcome);
      history.exec();
      history.reset();
    };
    SQLite::Statement restate_input(*m_db, "UPDATE jobs SET input_json = ? WHERE id = ?");
    auto insert_take = [&](const JobSpec& spec, int take, int position, const std::string& input) {
      insert.bind(1, m.batch);
      insert.bind(2, spec.id);
      insert.bind(3, take);
      insert.bind(4, position);
      insert.bind(5, input);
      insert.bind(6, now);
      insert.bind(7, now);
      insert.exec();
      insert.reset();
      ++report.added;
      if (!own_manifest) {
        // Remembered, so the batch's own manifest never takes these for jobs it removed.
        add_history(m_db->getLastInsertRowid(), fmt::format("enqueued from {} (--into-batch)", manifest_path.string()),
                    k_outcome_joined);
      }
    };
    auto cancel_take = [&](const StoredTake& t, const std::string& why) {
      cancel.bind(1, why);
      cancel.bind(2, now);
      cancel.bind(3, now);
      cancel.bind(4, t.row);
      cancel.exec();
      cancel.reset();
      add_history(t.row, why, "cancelled");
    };
    auto start_over = [&](const StoredTake& t, const std::string& input, int position, const std::string& why) {
      requeue.bind(1, input);
      requeue.bind(2, position);
      requeue.bind(3, now);
      requeue.bind(4, t.row);
      requeue.exec();
      requeue.reset();
      add_history(t.row, why, "requeued");
    };
    // A job read from a jobs_from: list is named at its row in that file.
    auto place = [&](const JobSpec& spec) { return job_place(spec, manifest_path); };

    std::set<std::string> in_manifest;
    std::vector<std::pair<std::string, std::string>> new_jobs;  // (label, input) of jobs new to the queue
    for (size_t pos = 0; pos < m.jobs.size(); ++pos) {
      const JobSpec& spec = m.jobs[pos];
      in_manifest.insert(spec.id);
      std::string input = input_json(spec);
      auto it = stored.find(spec.id);
      if (it == stored.end()) {
        for (int take = 1; take <= spec.takes; ++take) {
          insert_take(spec, take, static_cast<int>(pos), input);
        }
        new_jobs.emplace_back(new_job_label(spec), input);
        continue;
      }
      StoredJob& job = it->second;
      const int stored_takes = static_cast<int>(job.takes.size());
      const int kept_range = std::min(stored_takes, spec.takes);
      // Takes the manifest still asks for whose spec is not the manifest's.
      std::vector<const StoredTake*> differing;
      bool holds_new = false;  // some take already renders the manifest's spec
      for (int take = 1; take <= stored_takes; ++take) {
        StoredTake& t = job.takes[static_cast<size_t>(take - 1)];
        if (t.input != input && same_input(t.input, input)) {
          // The same images named from where they are now (a moved project, a linked folder): the
          // take keeps the new names, so the listener serves the files from there.
          restate_input.bind(1, input);
          restate_input.bind(2, t.row);
          restate_input.exec();
          restate_input.reset();
          t.input = input;
        }
        holds_new |= t.input == input;
        if (take <= kept_range && t.input != input) {
          differing.push_back(&t);
        }
      }
      std::string field = differing.empty() ? "" : changed_field(differing.front()->input, input);
      if (options.on_changed == OnChanged::refuse && !differing.empty()) {
        bool would_render_old = std::any_of(differing.begin(), differing.end(),
                                            [](const StoredTake* t) { return t->state == JobState::queued; });
        // Takes rendered with an earlier spec beside takes of this one are the job's history,
        // not a change (what --replace-changed with a raised `takes` leaves).
        if (would_render_old || !holds_new) {
          report.left_out.push_back(left_out_message(place(spec), spec, job, differing, field));
          for (const StoredTake* t : differing) {
            if (t->state == JobState::queued) {
              cancel_take(*t, k_note_changed);
              ++report.held;
            }
          }
          report.unchanged += kept_range - static_cast<int>(differing.size());
          continue;
        }
      }
      // Lowering `takes` cancels only takes still queued: rendered ones stay, and ones cancelled
      // by an earlier lowering are cancelled already. Raising it again brings them back.
      for (int take = spec.takes + 1; take <= stored_takes; ++take) {
        const StoredTake& t = job.takes[static_cast<size_t>(take - 1)];
        if (t.state == JobState::queued) {
          cancel_take(t, k_note_takes_lowered);
          ++report.cancelled;
        }
      }
      std::vector<int> renders_new;  // takes that render the manifest's spec after this enqueue
      for (int take = stored_takes + 1; take <= spec.takes; ++take) {
        insert_take(spec, take, static_cast<int>(pos), input);
        renders_new.push_back(take);
      }
      bool changed_now = !renders_new.empty();
      std::vector<int> stays;  // takes that keep the spec they were rendered with
      for (int take = 1; take <= kept_range; ++take) {
        const StoredTake& t = job.takes[static_cast<size_t>(take - 1)];
        if (t.input == input) {
          // Cancelled because the manifest had stopped asking for it; it asks again.
          if (t.state == JobState::cancelled && restorable(t.note)) {
            start_over(t, input, static_cast<int>(pos),
                       t.note == k_note_takes_lowered ? "takes raised again in the manifest"
                       : t.note == k_note_changed     ? "its spec in the manifest is as it was again"
                                                      : "back in the manifest");
            ++report.restored;
          } else {
            ++report.unchanged;
          }
          renders_new.push_back(take);
          continue;
        }
        if (options.on_changed == OnChanged::replace && replaceable(t)) {
          start_over(t, input, static_cast<int>(pos),
                     fmt::format("replaced: {} changed in the manifest{}", changed_field(t.input, input),
                                 t.state == JobState::failed ? fmt::format(" (was failed: {})", t.fail_code) : ""));
          ++report.replaced;
          renders_new.push_back(take);
          changed_now = true;
          continue;
        }
        stays.push_back(take);
        ++report.unchanged;
      }
      if (options.on_changed == OnChanged::replace && (changed_now || renders_new.empty())) {
        std::sort(renders_new.begin(), renders_new.end());
        for (int take : stays) {
          const StoredTake& t = job.takes[static_cast<size_t>(take - 1)];
          report.kept.push_back(
              kept_message(place(spec), spec.id, take, t, changed_field(t.input, input), renders_new, stored_takes));
        }
      }
    }
    if (own_manifest) {
      find_removed(*m_db, m.batch, stored_order, stored, in_manifest, options.on_removed, file_name, report,
                   cancel_take);
      report.renamed = find_renamed(stored_order, stored, in_manifest, new_jobs);
    }
    if (!conflicts.empty()) {
      std::string message;
      for (const auto& c : conflicts) {
        message += c + "\n";
      }
      return Error{ErrorKind::conflict, message};  // the transaction rolls back: nothing written
    }
    tx.commit();
  } catch (const SQLite::Exception& e) {
    return Error{ErrorKind::storage, fmt::format("cannot enqueue batch '{}': {}", m.batch, e.what())};
  }
  return report;
}

Result<std::vector<BatchSummary>> Queue::summaries(const std::optional<std::string>& batch) {
  std::vector<BatchSummary> out;
  try {
    SQLite::Statement q(
        *m_db,
        "SELECT b.name, b.model, b.created_at, max(b.updated_at, coalesce((SELECT max(j.updated_at) FROM "
        "jobs j WHERE j.batch = b.name), 0)) FROM batches b "
        "WHERE ?1 IS NULL OR b.name = ?1 ORDER BY b.created_at, b.name");
    if (batch) {
      q.bind(1, *batch);
    }
    while (q.executeStep()) {
      BatchSummary s;
      s.name = q.getColumn(0).getString();
      s.model = q.getColumn(1).getString();
      s.created_at = q.getColumn(2).getInt64();
      s.updated_at = q.getColumn(3).getInt64();
      for (JobState st : k_all_states) {
        s.counts[st] = 0;
      }
      out.push_back(std::move(s));
    }
    SQLite::Statement c(*m_db,
                        "SELECT batch, state, count(*) FROM jobs WHERE ?1 IS NULL OR batch = ?1 GROUP BY batch, state");
    if (batch) {
      c.bind(1, *batch);
    }
    while (c.executeStep()) {
      std::string name = c.getColumn(0).getString();
      for (auto& s : out) {
        if (s.name == name) {
          s.counts[parse_job_state(c.getColumn(1).getString()).value_or(JobState::queued)] = c.getColumn(2).getInt();
        }
      }
    }
  } catch (const SQLite::Exception& e) {
    return Error{ErrorKind::storage, fmt::format("cannot read the queue: {}", e.what())};
  }
  if (batch && out.empty()) {
    return Error{ErrorKind::usage, fmt::format("no batch named '{}' in this database", *batch)};
  }
  return out;
}

}  // namespace reelq
