#include "cli/finish_report.h"

#include <doctest/doctest.h>

#include <algorithm>

#include "cli/invocation.h"

using namespace reelq;

namespace {

FinishReport night() {
  FinishReport r;
  r.command = "run";
  r.exit_code = 1;
  r.succeeded = 7;
  r.failed = 1;
  r.left = 0;
  r.spent = {"night: $5.60 for 7 renders"};
  r.db = "/srv/q.db";
  r.batches = {"night"};
  r.batch_json = {R"({"event":"summary","batch":"night"})"};
  r.output_dirs = {"/srv/renders/night"};
  return r;
}

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

TEST_CASE("the finish report as JSON: counts, spend, exit status, how to get the report, each batch's summary") {
  set_reelq_command("reelq");
  CHECK(finish_json(night()) ==
        R"({"event":"finish","command":"run","exit":1,"succeeded":7,"failed":1,"cancelled":0,"left":0,)"
        R"("not_drained":[],"spent":"night: $5.60 for 7 renders","db":"/srv/q.db",)"
        R"("report_command":"reelq report --db /srv/q.db --batch night -o /srv/report.html",)"
        R"("batches":[{"event":"summary","batch":"night"}]})");
  FinishReport early;  // stopped before a database was chosen (a manifest error)
  early.command = "run";
  early.exit_code = 2;
  CHECK(finish_json(early) ==
        R"({"event":"finish","command":"run","exit":2,"succeeded":0,"failed":0,"cancelled":0,"left":0,)"
        R"("not_drained":[],"spent":"","db":null,"report_command":null,"batches":[]})");
}

TEST_CASE("the hook's variables: the summary in REELQ_*, never the key, whatever variable holds it") {
  auto vars = finish_variables(night());
  CHECK(has(vars, "REELQ_EXIT=1"));
  CHECK(has(vars, "REELQ_DONE=7"));
  CHECK(has(vars, "REELQ_FAILED=1"));
  CHECK(has(vars, "REELQ_SPENT=night: $5.60 for 7 renders"));
  CHECK(has(vars, "REELQ_FILES=/srv/renders/night"));
  const char* environ_[] = {"PATH=/usr/bin", "APIXO_API_KEY=sk-secret-1", "MY_COPY=Bearer sk-secret-1",
                            "REELQ_EXIT=99", "REELQ_DB_BACKUP=kept",      "HOME=/root",
                            nullptr};
  auto env = hook_environment(const_cast<char* const*>(environ_), {"sk-secret-1"}, vars);
  for (const auto& e : env) {
    CHECK(e.find("sk-secret-1") == std::string::npos);
  }
  CHECK(has(env, "PATH=/usr/bin"));
  CHECK(has(env, "HOME=/root"));
  CHECK(has(env, "REELQ_DB_BACKUP=kept"));
  CHECK(has(env, "REELQ_EXIT=1"));
  CHECK_FALSE(has(env, "REELQ_EXIT=99"));
  // The variable is dropped even when the key came from a file and the variable holds another.
  const char* other[] = {"APIXO_API_KEY=sk-old", nullptr};
  CHECK(hook_environment(const_cast<char* const*>(other), {"sk-secret-1"}, {}).empty());
  // And the webhook's URL, whose path or password is its secret.
  const char* hook[] = {"REELQ_NOTIFY=https://u:pw@hooks.example/T0KEN", nullptr};
  CHECK(hook_environment(const_cast<char* const*>(hook), {"sk-secret-1"}, {}).empty());
}

TEST_CASE("a night stopped with work left says which batches were not drained and how much is left of each") {
  set_reelq_command("reelq");
  FinishReport r = night();
  r.exit_code = 3;
  r.left = 4;  // night's own summary: interrupted with 4 takes left
  r.ends = {{"night", "interrupted", 4}};
  add_not_drained(r, "extra", {2, 1, 0, 5});  // a resume stopped before it reached this batch
  CHECK(r.left == 9);
  CHECK(r.succeeded == 9);
  CHECK(r.failed == 2);
  CHECK(r.batches == std::vector<std::string>{"night", "extra"});
  CHECK(
      finish_json(r) ==
      R"({"event":"finish","command":"run","exit":3,"succeeded":9,"failed":2,"cancelled":0,"left":9,)"
      R"("not_drained":[{"batch":"night","end":"interrupted","left":4},{"batch":"extra","end":"not_drained","left":5}],)"
      R"("spent":"night: $5.60 for 7 renders","db":"/srv/q.db",)"
      R"("report_command":"reelq report --db /srv/q.db -o /srv/report.html",)"
      R"("batches":[{"event":"summary","batch":"night"},)"
      R"({"event":"summary","batch":"extra","end":"not_drained","succeeded":2,"failed":1,"cancelled":0,"left":5}]})");
  auto vars = finish_variables(r);
  CHECK(has(vars, "REELQ_LEFT=9"));
  CHECK(has(vars, "REELQ_NOT_DRAINED=night:4 extra:5"));
  CHECK(has(vars, "REELQ_BATCHES=night extra"));
  // A batch that ended with nothing left is drained, whatever its end: not named.
  FinishReport done = night();
  done.ends = {{"night", "finished", 0}};
  CHECK(has(finish_variables(done), "REELQ_NOT_DRAINED="));
  CHECK(finish_json(done).find(R"("not_drained":[])") != std::string::npos);
}
