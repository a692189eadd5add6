#include "cli/run_summary.h"

#include <doctest/doctest.h>

#include "cli/cli.h"

using namespace reelq;

namespace {

SummaryFacts facts(RunEnd end) {
  SummaryFacts f;
  f.batch = "night";
  f.summary.end = end;
  f.summary.succeeded = 7;
  f.summary.elapsed_ms = 65000;
  f.files = "/renders/night";
  f.resume = "reelq resume --db q.db --batch night";
  return f;
}

}  // namespace

TEST_CASE("a finished batch's summary: the counts, the failures with what to type, files and money") {
  SummaryFacts f = facts(RunEnd::finished);
  f.summary.failed = 3;
  f.summary.cancelled = 1;
  f.summary.failures_by_code = {{"CONTENT_VIOLATION", 2}, {"RENDER_TIMEOUT", 1}};
  f.next = {"CONTENT_VIOLATION: edit those jobs"};
  f.money = {"$4.00 for 7 renders", "$100.00 -> $96.00"};
  CHECK(summary_text(f) ==
        "batch night: 7 succeeded, 3 failed, 1 cancelled in 1m05s\n"
        "  failures: CONTENT_VIOLATION 2, RENDER_TIMEOUT 1\n"
        "  next, CONTENT_VIOLATION: edit those jobs\n"
        "  files: /renders/night\n"
        "  spent: $4.00 for 7 renders\n"
        "  balance: $100.00 -> $96.00\n"
        "  1 render passed render_deadline and was given up on; the taskId is kept: reelq resume --db q.db --batch "
        "night asks the API again and collects a late result\n");
  CHECK(exit_code_of(f.summary) == k_exit_jobs_failed);
}

TEST_CASE("nothing succeeded: no files line; nothing known of the money: no money lines") {
  SummaryFacts f = facts(RunEnd::finished);
  f.summary.succeeded = 0;
  CHECK(summary_text(f) == "batch night: 0 succeeded, 0 failed in 1m05s\n");
  CHECK(exit_code_of(f.summary) == k_exit_ok);
}

TEST_CASE("a run that ended early says why and the command that continues it") {
  SummaryFacts f = facts(RunEnd::interrupted);
  f.summary.left = 2;
  CHECK(summary_text(f) ==
        "batch night: 7 succeeded, 0 failed, 2 left in 1m05s\n"
        "  files: /renders/night\n"
        "  stopped with 2 jobs left; tasks already at the API keep rendering. Continue with: reelq resume --db q.db "
        "--batch night\n");
  CHECK(exit_code_of(f.summary) == k_exit_unfinished);
  SummaryFacts key = facts(RunEnd::key_refused);
  key.summary.message = "the API refused the key (401)";
  CHECK(
      summary_text(key).ends_with("  the API refused the key (401)\n  nothing was marked failed; fix the key "
                                  "(APIXO_API_KEY, --api-key-file, or its "
                                  "entry in the keys file), "
                                  "then: reelq resume --db q.db --batch night\n"));
  CHECK(exit_code_of(key.summary) == k_exit_key_refused);
  for (RunEnd end : {RunEnd::credits_exhausted, RunEnd::storage_failed, RunEnd::disk_full, RunEnd::slots_held}) {
    SummaryFacts other = facts(end);
    CHECK(summary_text(other).ends_with("reelq resume --db q.db --batch night\n"));
    CHECK(exit_code_of(other.summary) == k_exit_unfinished);
  }
}

TEST_CASE("--log-json: the summary is one JSON line, continue_with null once the batch is finished") {
  SummaryFacts f = facts(RunEnd::finished);
  f.summary.failed = 1;
  f.summary.failures_by_code = {{"DOWNLOAD_FAILED", 1}};
  f.next = {"DOWNLOAD_FAILED: reelq retry"};
  f.money = {"null", "null"};
  CHECK(summary_json(f, 0) ==
        R"({"at":"1970-01-01T00:00:00Z","level":"info","event":"summary","batch":"night","end":"finished",)"
        R"("succeeded":7,"failed":1,"cancelled":0,"left":0,"elapsed_ms":65000,"failures":{"DOWNLOAD_FAILED":1},)"
        R"("files":"/renders/night","spent":null,"balance":null,"continue_with":null,)"
        R"("next":["DOWNLOAD_FAILED: reelq retry"],"limits_note":null,"refused_keys":[],"max_spend":null,)"
        R"("spend_committed":null})"
        "\n");
  SummaryFacts stopped = facts(RunEnd::disk_full);
  stopped.money = {"null", "null"};
  std::string line = summary_json(stopped, 0);
  CHECK(line.find(R"("end":"disk_full")") != std::string::npos);
  CHECK(line.find(R"("continue_with":"reelq resume --db q.db --batch night")") != std::string::npos);
}

TEST_CASE("a cap the API kept to below the setting is repeated in the summary, text and JSON") {
  SummaryFacts f = facts(RunEnd::finished);
  f.money = {"null", "null"};
  f.summary.limits_note = "the API allowed 3 running tasks on this key; write `max_concurrent: 3`";
  CHECK(summary_text(f).find("  note: the API allowed 3 running tasks on this key; write `max_concurrent: 3`\n") !=
        std::string::npos);
  CHECK(summary_json(f, 0).find(R"("limits_note":"the API allowed 3 running tasks on this key; write )") !=
        std::string::npos);
}

TEST_CASE("a run stopped at the spend cap says both figures, what is left and how to go on, and exits 3") {
  SummaryFacts f = facts(RunEnd::spend_capped);
  f.summary.left = 2;
  f.summary.spend_cap = 7.20;
  f.summary.spend_committed = 7.20;
  CHECK(summary_text(f).find("  spend cap reached: $7.20 of $7.20; 2 takes left. To go on, raise it: ") !=
        std::string::npos);
  CHECK(summary_text(f).find("--max-spend AMOUNT\n") != std::string::npos);  // no figure that finishes it known
  f.spend_to_finish = 12.0;                                                  // with it, the line pastes as printed
  CHECK(summary_text(f).find("--max-spend 12.00 (the batch's whole cap, which pays for every take left)\n") !=
        std::string::npos);
  f.spend_to_finish.reset();
  CHECK(exit_code_of(f.summary) == 3);
  f.money = {"null", "null"};
  CHECK(summary_json(f, 0).find(R"("end":"spend_capped")") != std::string::npos);
  CHECK(summary_json(f, 0).find(R"("max_spend":7.20,"spend_committed":7.20})") != std::string::npos);
}
