// `reelq deliver --to DIR`: the succeeded takes (or the picked ones) handed over into a folder under
// names the user chose (src/deliver/).
#include <fmt/format.h>
#include <fmt/ostream.h>
#include <fmt/ranges.h>

#include <ostream>
#include <set>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/invocation.h"
#include "deliver/deliver.h"
#include "deliver/delivery_folder.h"
#include "deliver/delivery_name.h"
#include "deliver/picks.h"
#include "queue/database.h"
#include "queue/queue.h"
#include "report/report_data.h"
#include "util/text.h"

namespace reelq {

namespace {

// The picks file, when given, and the batch it and --batch agree on.
Result<std::optional<Picks>> read_picks(const DeliverFlags& flags, std::optional<std::string>& batch) {
  if (flags.picks.empty()) {
    return std::optional<Picks>();
  }
  auto picks = load_picks(flags.picks);
  if (!picks) {
    return picks.error();
  }
  if (picks->batch && batch && *picks->batch != *batch) {
    return Error{ErrorKind::usage,
                 fmt::format("{} holds marks of batch {}, not of --batch {}", flags.picks, *picks->batch, *batch)};
  }
  if (picks->batch) {
    batch = picks->batch;
  }
  return std::optional<Picks>(std::move(*picks));
}

// Marks made on another queue's page (a rehearsal's, another folder's) name other takes, even
// under the same batch and job names.
Status check_picks_queue(const DeliverFlags& flags, const std::optional<Picks>& picks, SQLite::Database& db) {
  if (!picks || !picks->queue) {
    return ok_status();
  }
  auto id = queue_id(db);
  if (id && *id != *picks->queue) {
    return Error{ErrorKind::usage,
                 fmt::format("{} holds marks made on the review page of another queue (queue id {}..., this one "
                             "is {}...): a rehearsal's page, or another folder's? Pass --db with the queue "
                             "the page was made from. Nothing was delivered",
                             flags.picks, picks->queue->substr(0, 8), id->substr(0, 8))};
  }
  return ok_status();
}

// A rehearsal's videos are the simulator's placeholders: handed to a client by mistake they would
// pass for the night's renders (a new user's trial delivered them, exit 0).
Status check_rehearsal(const DeliverFlags& flags, const std::vector<BatchReport>& reports) {
  if (flags.from_rehearsal || reports.empty() || !reports.front().rehearsal) {
    return ok_status();
  }
  return Error{ErrorKind::usage, fmt::format("{} is a rehearsal's queue (reelq run --rehearse): its videos are "
                                             "the simulator's placeholders, not renders. Deliver from the real "
                                             "run's queue (--db), or pass --from-rehearsal to try the names and "
                                             "the folder with the placeholders. Nothing was delivered",
                                             flags.db)};
}

// Every folder reelq wrote renders into: each batch's, and the ones its files were written to
// before the batch moved (`resume --output-dir`).
std::vector<OutputFolder> output_folders(const std::vector<BatchReport>& reports,
                                         const std::vector<DeliveryItem>& items) {
  std::vector<OutputFolder> out;
  std::set<std::string> seen;
  auto add = [&](const std::filesystem::path& dir, const std::string& batch) {
    if (!dir.empty() && seen.insert(dir.string()).second) {
      out.push_back({dir, batch});
    }
  };
  for (const BatchReport& b : reports) {
    add(b.output_dir, b.name);
  }
  for (const DeliveryItem& item : items) {
    add(item.source.parent_path(), item.batch);
  }
  return out;
}

std::string outcome_line(const DeliveryOutcome& o, const DeliverFlags& flags) {
  int placed = o.linked + o.copied;
  std::string line =
      fmt::format("delivered {} to {} ({} linked, {} copied)", count_of(placed, "file"), flags.to, o.linked, o.copied);
  if (o.already_there) {
    line += fmt::format("; {} already there with the same bytes", count_of(o.already_there, "file"));
  }
  if (!o.not_delivered.empty()) {
    line += fmt::format("; {} not delivered (below)", count_of(static_cast<int>(o.not_delivered.size()), "file"));
  }
  return line + fmt::format("; list: {}\n", (std::filesystem::path(flags.to) / "delivery.csv").string());
}

// Why a take was left out, and the commands that bring it back: `reelq download` fetches only
// results that are not on disk, so a damaged one must be moved or deleted first.
Error left_out_error(const NotDelivered& n, const DeliverFlags& flags) {
  const DeliveryItem& i = n.item;
  std::string fetch = reelq_line(fmt::format("download --db {} --batch {}", shell_word(flags.db), shell_word(i.batch)));
  if (n.problem == SourceProblem::in_the_way && n.delivered_there) {
    // Not an edit: an earlier delivery put another take under the same name.
    const ListedTake& t = *n.delivered_there;
    DeliveryItem there = i;  // the take delivery.csv names, as a file of the same place in its take
    there.batch = t.batch;
    there.job = t.job;
    there.take = t.take;
    const std::vector<std::string_view> add = telling_apart(i, there, flags.name);
    return Error{ErrorKind::conflict,
                 fmt::format("job {} take {} was not delivered: {} already holds batch {} job {} take {}, delivered "
                             "there before (see delivery.csv), as --name '{}' gives both the same name. Deliver "
                             "this one {}, or into another folder",
                             i.job, i.take, (std::filesystem::path(flags.to) / i.name).string(), t.batch, t.job, t.take,
                             flags.name,
                             add.empty() ? std::string("under names that tell them apart")
                                         : fmt::format("with {} in --name", fmt::join(add, " and ")))};
  }
  if (n.problem == SourceProblem::in_the_way) {
    return Error{ErrorKind::conflict,
                 fmt::format("job {} take {} was not delivered: {} already holds something else (an edit?), and "
                             "reelq never overwrites a delivered file. Leave it, or move it away and run this "
                             "deliver again",
                             i.job, i.take, (std::filesystem::path(flags.to) / i.name).string())};
  }
  if (n.problem == SourceProblem::missing) {
    return Error{ErrorKind::input,
                 fmt::format("job {} take {} was not delivered: its result {} is no longer on disk. `{}` fetches it "
                             "again; then run this deliver again",
                             i.job, i.take, i.source.string(), fetch)};
  }
  return Error{ErrorKind::input,
               fmt::format("job {} take {} was not delivered: its result {} no longer holds what was downloaded "
                           "(sha256 {}, recorded {}): it was edited or damaged since. Move it out of the output "
                           "folder (or delete it), then `{}` fetches it again; then run this deliver again",
                           i.job, i.take, i.source.string(), n.sha256.empty() ? "unreadable" : n.sha256.substr(0, 12),
                           i.sha256.substr(0, 12), fetch)};
}

}  // namespace

int cmd_deliver(const DeliverFlags& given, CommandIo io) {
  DeliverFlags flags = given;
  flags.to = without_trailing_slash(given.to).string();  // `--to v2/`, as completion types it, is v2
  if (auto st = check_name_template(flags.name); !st) {
    return report_error(io.err, st.error());
  }
  std::optional<std::string> batch = flags.batch;
  auto picks = read_picks(flags, batch);
  if (!picks) {
    return report_error(io.err, picks.error());
  }
  auto queue = open_existing_queue(flags.db);
  if (!queue) {
    return report_error(io.err, queue.error());
  }
  if (auto st = check_picks_queue(flags, *picks, queue.value()->db()); !st) {
    return report_error(io.err, st.error());
  }
  auto reports = load_reports(queue.value()->db(), batch, WithEvents::no);
  if (!reports) {
    return report_error(io.err, reports.error());
  }
  if (auto st = check_rehearsal(flags, *reports); !st) {
    return report_error(io.err, st.error());
  }
  auto items = plan_delivery(*reports, *picks ? &**picks : nullptr, flags.name);
  if (!items) {
    return report_error(io.err, items.error());
  }
  if (auto st = check_delivery_folder(flags.to, output_folders(*reports, *items)); !st) {
    return report_error(io.err, st.error());
  }
  if (items->empty()) {
    io.out << (*picks ? "nothing to deliver: the picks mark no take as pick or star\n"
                      : "nothing to deliver: no take has succeeded yet\n");
    return k_exit_ok;
  }
  auto outcome = deliver(*items, flags.to, flags.copy ? DeliverMethod::copy : DeliverMethod::link_or_copy);
  if (!outcome) {
    return report_error(io.err, outcome.error());
  }
  io.out << outcome_line(*outcome, flags);
  int rc = k_exit_ok;
  for (const NotDelivered& n : outcome->not_delivered) {
    rc = report_error(io.err, left_out_error(n, flags));
  }
  return rc;
}

}  // namespace reelq
