#include "cli/run_guards.h"

#include <doctest/doctest.h>

#include <sstream>

#include "cli/cli.h"
#include "cli/commands.h"

using namespace reelq;

namespace {

BatchInfo batch_at(const std::string& api_base) {
  BatchInfo b;
  b.name = "night";
  b.model = "sora-2-pro";
  b.manifest_path = "/home/me/night.yaml";
  b.api_base = api_base;
  b.time_scale = api_base.empty() ? 0 : 1;
  return b;
}

Settings sending_to(const std::string& api_base) {
  Settings s;
  s.api_base = api_base;
  return s;
}

BalanceVerdict verdict(BalanceKind kind) {
  BalanceVerdict v;
  v.kind = kind;
  v.balance = 12.5;
  v.cost = 40;
  v.renders = 8;
  v.affordable = 2;
  return v;
}

}  // namespace

TEST_CASE("a rehearsal's database is refused a real API, and its own simulator once that is gone") {
  BatchInfo b = batch_at("http://127.0.0.1:4100");
  auto real = check_rehearsal_db(b, sending_to("https://api.apixo.ai"), true, "/r/rehearsal.db");
  REQUIRE_FALSE(real);
  CHECK(real.error().kind == ErrorKind::usage);
  CHECK(real.error().message ==
        "/r/rehearsal.db is a rehearsal's database (reelq run --rehearse) and never talks to a real API; refusing "
        "https://api.apixo.ai. Run the real batch with `reelq run /home/me/night.yaml` (its own database), or "
        "rehearse again with `reelq run --rehearse /home/me/night.yaml`");
  auto gone = check_rehearsal_db(b, sending_to("http://127.0.0.1:4100"), false, "/r/rehearsal.db");
  REQUIRE_FALSE(gone);
  CHECK(gone.error().message.starts_with(
      "/r/rehearsal.db is a rehearsal's database; the built-in simulator it ran against (http://127.0.0.1:4100) "
      "ended with it."));
  // The same address named on purpose (a `reelq sim` started there since), or another simulator: allowed.
  CHECK(check_rehearsal_db(b, sending_to("http://127.0.0.1:4100"), true, "/r/rehearsal.db"));
  CHECK(check_rehearsal_db(b, sending_to("http://127.0.0.1:5000"), false, "/r/rehearsal.db"));
}

TEST_CASE("a batch rendered at a simulator is not sent on to a real API, unless nothing was sent there") {
  BatchInfo simulated = batch_at("http://127.0.0.1:4100");
  Settings real = sending_to("https://api.apixo.ai");
  CHECK(simulated_to_real(simulated, real));
  CHECK(check_simulated_to_real(simulated, real, 0, "q.db"));
  auto refused = check_simulated_to_real(simulated, real, 1, "q.db");
  REQUIRE_FALSE(refused);
  CHECK(refused.error().kind == ErrorKind::usage);
  CHECK(refused.error().message ==
        "batch night ran against http://127.0.0.1:4100, an API on this machine (a simulator?): 1 take was sent "
        "there, and the videos it made are placeholders counted as done. Refusing to send the rest to "
        "https://api.apixo.ai. Give the real run its own queue and folder: reelq run /home/me/night.yaml --db FILE "
        "--output-dir DIR (or delete q.db and the batch's folder first)");
  CHECK(check_simulated_to_real(simulated, real, 3, "q.db").error().message.find("3 takes were sent there") !=
        std::string::npos);
  // A batch that never ran, one that ran at the real API, and a simulator to a simulator: nothing to refuse.
  CHECK_FALSE(simulated_to_real(batch_at(""), real));
  CHECK_FALSE(simulated_to_real(batch_at("https://api.apixo.ai"), real));
  CHECK_FALSE(simulated_to_real(simulated, sending_to("http://localhost:5000")));
  CHECK(check_simulated_to_real(batch_at("https://api.apixo.ai"), real, 9, "q.db"));
}

TEST_CASE("a balance that covers the batch says so; an unknown one warns and goes on") {
  auto covered = judge_funds(verdict(BalanceKind::covered), false, "built-in", "https://api.apixo.ai", "reelq resume --db /p/q.db --batch night");
  REQUIRE(covered);
  CHECK(covered->info == "balance $12.50 covers the 8 renders left (estimated $40.00)");
  CHECK(covered->warning.empty());
  BalanceVerdict nothing_left = verdict(BalanceKind::covered);
  nothing_left.renders = 0;
  CHECK(judge_funds(nothing_left, false, "built-in", "https://api.apixo.ai", "reelq resume")->info.empty());
  BalanceVerdict unknown = verdict(BalanceKind::unknown);
  unknown.message = "the balance answer was unreadable";
  auto goes = judge_funds(unknown, false, "built-in", "https://api.apixo.ai", "reelq resume --db /p/q.db --batch night");
  REQUIRE(goes);
  CHECK(goes->info.empty());
  CHECK(goes->warning ==
        "the balance answer was unreadable; starting anyway (a run stops submitting when credits run out)");
}

TEST_CASE("refusals of the balance check carry the kind that gives their documented exit status") {
  BalanceVerdict down = verdict(BalanceKind::unreachable);
  down.message = "connection refused";
  auto unreachable = judge_funds(down, true, "built-in", "https://api.apixo.ai", "reelq resume --db /p/q.db --batch night");
  REQUIRE_FALSE(unreachable);
  CHECK(unreachable.error().kind == ErrorKind::unreachable);
  CHECK(exit_code_for(unreachable.error()) == k_exit_unfinished);
  std::ostringstream err;
  CHECK(report_error(err, unreachable.error()) == 3);
  CHECK(err.str() ==
        "reelq: cannot reach the API at https://api.apixo.ai (connection refused); nothing was submitted. Check the "
        "network (and --api-base), then run the same command again.\n");

  BalanceVerdict refused = verdict(BalanceKind::key_refused);
  refused.message = "the API refused the key (401)";
  auto key = judge_funds(refused, true, "built-in", "https://api.apixo.ai", "reelq resume --db /p/q.db --batch night");
  REQUIRE_FALSE(key);
  CHECK(key.error().kind == ErrorKind::key_refused);
  CHECK(exit_code_for(key.error()) == k_exit_key_refused);
  CHECK(key.error().message ==
        "the API refused the key (401); nothing was submitted. Fix the key (APIXO_API_KEY, --api-key-file, or its "
        "entry in the keys file).");

  auto short_funds = judge_funds(verdict(BalanceKind::short_funds), false, "prices.json", "https://api.apixo.ai", "reelq resume --db /p/q.db --batch night");
  REQUIRE_FALSE(short_funds);
  CHECK(short_funds.error().kind == ErrorKind::short_funds);
  CHECK(exit_code_for(short_funds.error()) == k_exit_unfinished);
  CHECK(short_funds.error().message ==
        "balance $12.50 covers 2 of the 8 renders left (estimated $40.00, prices: prices.json). Nothing was "
        "submitted. Top up, or pass --allow-partial to render what it covers (`reelq resume --db /p/q.db --batch "
        "night` continues later).");
  // Covering none of them, --allow-partial would render nothing: not offered.
  BalanceVerdict none = verdict(BalanceKind::short_funds);
  none.affordable = 0;
  auto broke = judge_funds(none, false, "built-in", "https://api.apixo.ai", "reelq resume --db /p/q.db --batch night");
  REQUIRE_FALSE(broke);
  CHECK(broke.error().message ==
        "balance $12.50 covers 0 of the 8 renders left (estimated $40.00, prices: built-in). Nothing was submitted. "
        "Top up, then `reelq resume --db /p/q.db --batch night` starts it");
}

TEST_CASE("--allow-partial starts a batch the balance covers only in part, with a warning") {
  auto partial = judge_funds(verdict(BalanceKind::short_funds), true, "built-in", "https://api.apixo.ai", "reelq resume --db /p/q.db --batch night");
  REQUIRE(partial);
  CHECK(partial->info.empty());
  CHECK(partial->warning ==
        "balance $12.50 covers 2 of the 8 renders left (estimated $40.00, prices: built-in); --allow-partial: "
        "starting, and stopping when credits run out");
}

TEST_CASE("the API unreachable before anything is enqueued says so, exit 3") {
  Error e = unreachable_error("https://api.apixo.ai", "DNS failure", "nothing was enqueued or submitted");
  CHECK(e.kind == ErrorKind::unreachable);
  CHECK(e.message ==
        "cannot reach the API at https://api.apixo.ai (DNS failure); nothing was enqueued or submitted. Check the "
        "network (and --api-base), then run the same command again.");
  CHECK(exit_code_for(e) == 3);
}
