#include "cli/drain.h"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <filesystem>
#include <optional>

#include "cli/batch_settings.h"
#include "cli/failed_view.h"
#include "cli/invocation.h"
#include "cli/next_steps.h"
#include "cli/output_folder.h"
#include "cli/progress.h"
#include "cli/run_guards.h"
#include "cli/run_money.h"
#include "cli/run_parts.h"
#include "cli/run_summary.h"
#include "cli/stop_signals.h"
#include "cost/estimate.h"
#include "keys/trust_file.h"
#include "queue/database.h"
#include "queue/handoff.h"
#include "queue/run_ledger.h"
#include "sched/balance_check.h"
#include "util/text.h"
#include "util/time_text.h"

namespace reelq {

namespace {

// The batch as this run drains it: decided and recorded before any client exists.
struct ReadyBatch {
  BatchInfo info;
  Settings settings;
};

// Where the keys came from, for the command that continues the batch: the same keys (a task is
// polled only with the key that made it). Paths only; the keys never appear.
std::string key_flags(const RunFlags& flags) {
  auto absolute = [](const std::string& p) { return std::filesystem::absolute(p).lexically_normal().string(); };
  std::string out;
  if (!flags.keys_file.empty()) {
    out += " --keys " + shell_word(absolute(flags.keys_file));
  }
  if (!flags.api_key_file.empty()) {
    out += " --api-key-file " + shell_word(absolute(flags.api_key_file));
  }
  return out;
}

// What the watchdog says when it cuts a stop of this drain short.
std::string stop_note_line(DrainMode mode, const RunFlags& flags, const std::string& batch) {
  if (mode == DrainMode::rehearsal) {
    return fmt::format("  A rehearsal starts afresh: {} run --rehearse MANIFEST", reelq_command());
  }
  return fmt::format("  Continue with: {} resume --db {} --batch {}{}", reelq_command(), shell_word(flags.db), batch,
                     key_flags(flags));
}

// The command that continues the batch, for the summary: a command alone, as the lines that name it
// add flags after it (`... --max-spend AMOUNT`). A rehearsal is never resumed: it starts afresh.
std::string resume_command(DrainMode mode, const RunFlags& flags, const BatchInfo& batch) {
  if (mode == DrainMode::rehearsal) {
    return fmt::format("{} run --rehearse {}", reelq_command(), shell_word(batch.manifest_path));
  }
  return fmt::format("{} resume --db {} --batch {}{}", reelq_command(), shell_word(flags.db), batch.name,
                     key_flags(flags));
}

// A run's database may not be a rehearsal's, nor send a simulated batch on to a real API.
Status check_run_guards(RunStore& store, const ReadyBatch& b, const RunFlags& flags) {
  if (auto st = refuse_for_rehearsal(store, b.info, b.settings, flags.settings, flags.db); !st) {
    return st;
  }
  return refuse_simulated_to_real(store, b.info, b.settings, flags.db);
}

// Where the batch runs and with which flags, recorded before anything else can stop this run (a
// listener that cannot bind, a folder that cannot be written): the resume line it prints must lead
// back here, and a resume runs the batch as it was started (`--on-ambiguous hold`, callback mode
// and its listener), saying so when the flags are used without being given.
Status record_run(RunStore& store, const ReadyBatch& b, const RunFlags& flags, std::ostream& err) {
  if (auto st = store.record_api(b.info.name, b.settings.api_base, b.settings.time_scale); !st) {
    return st;
  }
  if (std::string kept = remembered_in_use(b.info.run_flags_json, flags.settings, b.info.settings_json);
      !kept.empty()) {
    fmt::print(err, "reelq: batch {} runs with the flags its last run was given: {} (give one again to change it)\n",
               b.info.name, kept);
  }
  return store.record_run_flags(
      b.info.name, merge_run_flags(b.info.run_flags_json, flags.settings, std::filesystem::current_path()));
}

// Everything decided and written before a client is built; refusals send nothing.
Result<ReadyBatch> ready_batch(Queue& queue, RunStore& store, const std::string& name, const RunFlags& flags,
                               DrainMode mode, CommandIo io) {
  auto info = store.batch(name);
  if (!info) {
    return info.error();
  }
  auto settings = stored_batch_settings(*info, flags.settings);
  if (!settings) {
    return settings.error();
  }
  ReadyBatch b{*info, *settings};
  auto id = queue_id(queue.db());
  if (!id) {
    return id.error();
  }
  if (auto st = refuse_untrusted_api(*id, b.info, b.settings, flags.settings); !st) {
    return st.error();
  }
  if (mode == DrainMode::run) {
    if (auto st = check_run_guards(store, b, flags); !st) {
      return st.error();
    }
  }
  if (auto st = record_run(store, b, flags, io.err); !st) {
    return st.error();
  }
  // What this user's run chose, `resume` may go back to without being told (keys/trust_file.h).
  if (b.settings.api_base != Settings{}.api_base) {
    if (auto st = add_trusted(default_trust_file(), *id, b.settings.api_base); !st) {
      fmt::print(io.err, "reelq: {}; `reelq resume` will ask for --api-base again\n", st.error().message);
    }
  }
  // A batch added to this night meanwhile is drained where this one is (queue/handoff.h).
  if (auto st = note_runner_api(queue.db(), {b.settings.api_base, b.settings.time_scale}); !st) {
    return st.error();
  }
  auto moved = take_output_folder(store, b.info, b.settings, *id, flags.db);
  if (!moved) {
    return moved.error();
  }
  if (!moved->empty()) {
    io.err << "reelq: " << *moved << "\n";
  }
  if (auto st = refetch_deleted_results(queue.db(), store, name, flags.style, io.out); !st) {
    return st.error();
  }
  return b;
}

// A line for people before the run: plain, or one more JSON line with --log-json; none with --quiet.
void say(const std::string& line, OutputStyle style, Clock& clock, std::ostream& out) {
  if (style == OutputStyle::json) {
    ConsoleObserver(out, style, clock).log(LogLevel::info, line);
  } else if (style != OutputStyle::quiet) {
    fmt::print(out, "{}\n", line);
  }
}

// A pool's balances, read key by key (the first may have been read already): a key the API
// refuses leaves the pool with a warning (the run stops only when none is left), and the batch is
// judged against what the others hold together. Returns that sum as one answer (kind `ok` when at
// least one key answered with its balance), with a line for people naming each key's.
Result<BalanceResult> pool_balance(RunStore& store, RunParts& parts, const ReadyBatch& b, CommandIo io,
                                   std::string& line) {
  BalanceResult total;
  total.answer.kind = AnswerKind::unusable;
  total.answer.message = "no key of the pool answered with its balance";
  double sum = 0;
  int refused = 0;
  for (size_t k = 0; k < parts.key_count(); ++k) {
    const std::string& name = parts.key(k).key.name;
    if (parts.key(k).waiting) {
      line += fmt::format("{}{} waiting (driven by another reelq)", line.empty() ? "" : ", ", name);
      continue;  // not one request with a key another process drives
    }
    // Each key read here (the one `reelq run` read before it enqueued may be another: it is the
    // first key this run drives now).
    BalanceResult r = read_balance(store, parts.api(k), parts.clock(), b.settings);
    std::string said;
    if (r.answer.kind == AnswerKind::unauthorized) {
      std::string why = fmt::format("refused by the API (HTTP {}): {}", r.answer.http_status, r.answer.message);
      io.err << fmt::format("reelq: warning: key {} {}; it is left out of this run, the other keys go on\n", name, why);
      parts.refuse_key(k, why);
      ++refused;
      said = "refused";
    } else if (r.answer.kind == AnswerKind::unreachable) {
      return unreachable_error(b.settings.api_base, r.answer.message, "nothing was submitted");
    } else if (r.answer.kind == AnswerKind::ok && r.balance) {
      sum += *r.balance;
      total.answer = r.answer;
      said = fmt::format("${:.2f}", *r.balance);
    } else {
      said = "balance unknown";
    }
    line += fmt::format("{}{} {}", line.empty() ? "" : ", ", name, said);
  }
  if (refused > 0 && parts.usable_apis().empty()) {
    return Error{ErrorKind::key_refused,
                 "the API refused every key of the pool; nothing was submitted. Fix the keys (the keys file's "
                 "entries), then run again."};
  }
  if (total.answer.kind == AnswerKind::ok) {
    total.balance = sum;
  }
  line = fmt::format("keys: {} (together ${:.2f})", line, sum);
  return total;
}

// Refuses to start a batch the balance cannot pay for (unless --allow-partial). `read`: the balance
// answer the check used, if it asked (or was given) one.
Status check_funds(RunStore& store, RunParts& parts, const ReadyBatch& b, const RunFlags& flags,
                   const BalanceResult* already_read, double committed, CommandIo io,
                   std::optional<BalanceResult>& read) {
  auto prices = load_prices(prices_path(flags.prices));
  if (!prices) {
    return prices.error();
  }
  std::optional<BalanceResult> pooled;
  if (parts.key_count() > 1) {
    std::string line;
    auto total = pool_balance(store, parts, b, io, line);
    if (!total) {
      return total.error();
    }
    say(line, flags.style, parts.clock(), io.out);
    pooled = *total;
    already_read = &*pooled;
  }
  BalanceVerdict v = check_balance(store, parts.api(), parts.clock(), b.info.name, b.info.model, *prices, b.settings,
                                   already_read, committed);
  read = v.read;
  auto note =
      judge_funds(v, flags.allow_partial, prices->source, b.settings.api_base, resume_command(DrainMode::run, flags, b.info));
  if (!note) {
    return note.error();
  }
  if (!note->info.empty()) {
    say(note->info, flags.style, parts.clock(), io.out);
  }
  if (!note->warning.empty()) {
    io.err << "reelq: warning: " << note->warning << "\n";
  }
  return ok_status();
}

// Where and how fast the batch drains, and what the listener does.
void say_start(const ReadyBatch& b, const RunParts& parts, const std::string& currency,
               std::optional<CapReach> under_cap, ConsoleObserver& observer, OutputStyle style, std::ostream& out) {
  const Settings& s = b.settings;
  const std::string per = s.time_scale == 1 ? "minute" : format_duration(static_cast<TimeMs>(60000 * s.time_scale));
  std::vector<std::string> lines;
  if (parts.key_count() == 1) {
    lines.push_back(fmt::format("batch {}: draining at {} with {} requests per {} and {} tasks at once; files to {}",
                                b.info.name, s.api_base, s.rpm, per, s.max_concurrent, s.output_dir));
  } else {
    std::string keys;
    int slots = 0;
    for (size_t k = 0; k < parts.key_count(); ++k) {
      const PoolKey& key = parts.key(k);
      if (key.refused.empty() && !key.waiting) {
        keys += fmt::format("{}{} ({}, {})", keys.empty() ? "" : ", ", key.key.name, key.rpm, key.max_concurrent);
        slots += key.max_concurrent;
      }
    }
    lines.push_back(
        fmt::format("batch {}: draining at {} with a pool of keys (requests per {}, tasks at once): {}; "
                    "{} tasks at once in all; files to {}",
                    b.info.name, s.api_base, per, keys, slots, s.output_dir));
  }
  if (s.max_spend) {
    // Said before the night, not found out in the morning: the cap stops the batch part way.
    std::string reach =
        under_cap && under_cap->fits < under_cap->renders
            ? fmt::format("; it pays for {} of the {} queued", under_cap->fits, count_of(under_cap->renders, "take"))
            : "";
    // Read as "at most this much more tonight", a cap under what earlier runs committed does nothing.
    if (under_cap && under_cap->renders > 0 && under_cap->committed >= *s.max_spend) {
      reach += fmt::format(
          ". It is the batch's whole cap, earlier runs included, and the batch may have cost {} already: raise it "
          "above that for anything to be submitted",
          format_money(under_cap->committed, currency));
    }
    lines.push_back(fmt::format("spend cap: {} (max_spend); no render is submitted past it{}",
                                format_money(*s.max_spend, currency), reach));
  }
  if (!parts.listen_summary().empty()) {
    lines.push_back(parts.listen_summary());
  }
  for (const auto& line : lines) {
    if (style == OutputStyle::json) {
      observer.log(LogLevel::info, line);  // a JSON line like every other (the trial found them missing)
    } else if (style != OutputStyle::quiet) {
      fmt::print(out, "{}\n", line);
    }
  }
}

// The batch's summary into what --on-finish and --notify are told: its spend in words, its summary
// as JSON (`money(as_json)` prices it the other way from the run's style).
void add_to_finish(FinishReport& finish, SummaryFacts facts, bool had_json,
                   const std::function<MoneyLines(bool)>& money) {
  const RunSummary& s = facts.summary;
  finish.succeeded += s.succeeded;
  finish.failed += s.failed;
  finish.cancelled += s.cancelled;
  finish.left += s.left;
  finish.ends.push_back({facts.batch, std::string(to_string(s.end)), s.left});
  finish.batches.push_back(facts.batch);
  finish.output_dirs.push_back(facts.files);
  MoneyLines text = had_json ? money(false) : facts.money;
  finish.spent.push_back(text.spent.empty() ? "" : facts.batch + ": " + text.spent);
  facts.money = had_json ? facts.money : money(true);
  std::string line = summary_json(facts, system_clock().now_ms());
  finish.batch_json.push_back(line.substr(0, line.find_last_not_of('\n') + 1));
}

// The summary, in the run's style, and the exit status it ends with.
int summarize(Queue& queue, RunStore& store, const ReadyBatch& b, const RunSummary& summary,
              std::optional<std::int64_t> run_id, const RunFlags& flags, const DrainOptions& options,
              std::ostream& out) {
  const bool rehearsal = options.mode == DrainMode::rehearsal;
  const bool json = flags.style == OutputStyle::json;
  SummaryFacts facts{b.info.name,
                     summary,
                     files_line(store, b.info.name, b.settings.output_dir),
                     {},
                     resume_command(options.mode, flags, b.info),
                     {},
                     std::nullopt};
  if (summary.end == RunEnd::spend_capped) {
    if (auto pricing = spend_pricing(queue.db(), b.info.name, b.info.model, flags.prices)) {
      facts.spend_to_finish = takes_under_cap(queue.db(), b.info.name, *pricing, summary.spend_cap.value_or(0)).to_finish;
    }
  }
  if (!rehearsal && summary.end == RunEnd::finished) {
    NextStepsContext at =
        next_steps_context(queue.db(), b.info.name, flags.db, b.settings.public_url, b.info.manifest_path);
    facts.next = next_steps(summary.failures_by_code, at);
  }
  std::map<std::string, int> created;
  if (options.sim_created) {
    created = options.sim_created();
  }
  facts.money = summary_money(queue.db(), b.info.name, b.info.model, run_id, flags.prices, json, rehearsal,
                              options.sim_created ? &created : nullptr);
  out << (json ? summary_json(facts, system_clock().now_ms()) : summary_text(facts));
  if (options.finish) {
    add_to_finish(*options.finish, facts, json, [&](bool as_json) {
      return summary_money(queue.db(), b.info.name, b.info.model, run_id, flags.prices, as_json, rehearsal,
                           options.sim_created ? &created : nullptr);
    });
  }
  return exit_code_of(summary);
}

}  // namespace

int drain(Queue& queue, const std::string& batch, const RunFlags& flags, const std::string& key, CommandIo io,
          const DrainOptions& options) {
  StopNoteScope stop_note(stop_note_line(options.mode, flags, batch), io.out);
  RunStore store(queue.db(), system_clock());
  auto ready = ready_batch(queue, store, batch, flags, options.mode, io);
  if (!ready) {
    return report_error(io.err, ready.error());
  }
  // A keys file's caps are the key's own: they outrank the manifest's and the flags', which are
  // only defaults for entries that name none (docs/keys.md).
  auto parts_key = [&](const std::string& secret, const DrivenKey& k) {
    return PartsKey{secret, k.name, k.rpm > 0 ? k.rpm : ready->settings.rpm,
                    k.max_concurrent > 0 ? k.max_concurrent : ready->settings.max_concurrent};
  };
  std::vector<PartsKey> keys{parts_key(key, options.key)};
  for (const PooledKey& more : options.more_keys) {
    keys.push_back(parts_key(more.secret, more.driven));
  }
  if (keys.size() == 1) {
    ready->settings.rpm = keys.front().rpm;
    ready->settings.max_concurrent = keys.front().max_concurrent;
  }
  RunParts parts(ready->settings, keys, flags.ca_file);
  if (options.leases && !options.leases->waiting.empty()) {
    KeyLeases* leases = options.leases;
    parts.wait_for_keys(leases->waiting, [leases](const KeyIdentity& k) { return leases->try_join(k); });
  }
  // Before anything is sent: every task at the API is polled with the key that made it.
  auto keys_note = settle_task_keys(store, batch, parts.key_identities(), flags.drop_keys);
  if (!keys_note) {
    return report_error(io.err, keys_note.error());
  }
  if (!keys_note->empty()) {
    io.err << "reelq: " << *keys_note << "\n";
  }
  if (auto warning = callbacks_unheard(store, batch, ready->settings)) {
    io.err << "reelq: " << *warning << "\n";
  }
  if (auto st = parts.listen(queue.db(), store, ready->info, io.err); !st) {
    return report_error(io.err, st.error());
  }
  auto pricing = spend_pricing(queue.db(), batch, ready->info.model, flags.prices);
  if (!pricing) {
    return report_error(io.err, pricing.error());
  }
  // How far a spend cap reaches: the balance is asked only for that, and the start line says it.
  std::optional<CapReach> under_cap;
  if (ready->settings.max_spend) {
    under_cap = takes_under_cap(queue.db(), batch, *pricing, *ready->settings.max_spend);
  }
  // A rehearsal's simulator holds a billion dollars: whether it covers the batch is not worth asking.
  std::optional<BalanceResult> balance_read;
  if (options.mode == DrainMode::run) {
    if (auto st = check_funds(store, parts, *ready, flags, options.balance, under_cap ? under_cap->committed : 0, io,
                              balance_read);
        !st) {
      return report_error(io.err, st.error());
    }
  }
  // The balance around the run settles what its answers cannot (cli/run_money.h).
  auto run_id = start_run(queue.db(), batch, parts.clock().now_ms(),
                          balance_at_start(store, parts.usable_apis(), ready->settings, balance_read));
  ConsoleObserver observer(io.out, flags.style, parts.clock());
  StopNoteWatch watch(observer, parts.downloader());
  auto runner = parts.make_runner(store, observer, ready->info, *pricing);
  say_start(*ready, parts, pricing->currency, under_cap, observer, flags.style, io.out);
  RunSummary summary = runner->run();
  observer.finish();
  if (run_id) {
    (void)end_run(queue.db(), *run_id, parts.clock().now_ms(),
                  balance_at_end(store, parts.usable_apis(), ready->settings, summary.end));
  }
  return summarize(queue, store, *ready, summary, run_id ? std::optional<std::int64_t>(*run_id) : std::nullopt, flags,
                   options, io.out);
}

}  // namespace reelq
