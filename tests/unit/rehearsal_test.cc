#include "cli/rehearsal.h"

#include <doctest/doctest.h>

using namespace reelq;

TEST_CASE("a rehearsal has its own folder beside the batch's and runs against its simulator on loopback") {
  Settings settings;
  settings.output_dir = "/renders/night";
  CHECK(rehearsal_folder(settings) == std::filesystem::path("/renders/night.rehearsal"));
  RunFlags flags;
  flags.db = "/home/me/reelq.db";
  flags.settings = {{"rpm", "10"}};
  flags.allow_partial = true;
  RunFlags r = rehearsal_run_flags(flags, "/renders/night.rehearsal/rehearsal.db", "http://127.0.0.1:4100", 0.005,
                                   "/renders/night.rehearsal", 4200);
  CHECK(r.db == "/renders/night.rehearsal/rehearsal.db");
  CHECK(r.allow_partial);
  CHECK(r.settings == SettingFlags{{"rpm", "10"},
                                   {"api_base", "http://127.0.0.1:4100"},
                                   {"time_scale", "0.005"},
                                   {"output_dir", "/renders/night.rehearsal"},
                                   {"listen", "127.0.0.1:4200"},
                                   {"public_url", "http://127.0.0.1:4200"}});
  // No free port: no listener (a batch that needs one is refused by the drain, as a real run is).
  CHECK(rehearsal_run_flags(flags, "db", "http://127.0.0.1:4100", 1, "dir", std::nullopt).settings.size() == 4);
}

TEST_CASE("the rehearsal's simulator has the plan's caps, endless credits and a few seeded faults") {
  Manifest manifest;
  manifest.batch = "night";
  Settings settings;
  settings.rpm = 10;
  settings.max_concurrent = 3;
  settings.time_scale = 0.25;
  SimConfig sim = rehearsal_sim_config(manifest, settings, true);
  REQUIRE(sim.keys.size() == 1);
  CHECK(sim.keys[0].key == "rehearsal-key");
  CHECK(sim.rpm == 10);
  CHECK(sim.concurrency == 3);
  CHECK(sim.time_scale == 0.25);  // --time-scale given: as given
  CHECK(sim.credits == 1e9);
  CHECK(sim.faults.server_error == 0.01);
  CHECK(sim.faults.drop_before == 0.01);
  CHECK(sim.faults.truncate == 0.01);
}

TEST_CASE("what the simulator saw is one line after the summary; unreadable figures say so") {
  CHECK(sim_stats_line(R"({"total_requests":40,"rate_limited_sent":2,"max_requests_in_window":10,"rpm":10,)"
                       R"("max_concurrent_tasks":3,"concurrency":3,"tasks_created":12})") ==
        "  the simulator saw 40 requests, 2 answered 429, at most 10 in any window (cap 10), at most 3 tasks at once "
        "(cap 3), 12 tasks created\n");
  // One task is one task (it said "at most 1 tasks at once, 1 tasks created").
  CHECK(sim_stats_line(R"({"total_requests":5,"rate_limited_sent":0,"max_requests_in_window":4,"rpm":60,)"
                       R"("max_concurrent_tasks":1,"concurrency":10,"tasks_created":1})") ==
        "  the simulator saw 5 requests, 0 answered 429, at most 4 in any window (cap 60), at most 1 task at once "
        "(cap 10), 1 task created\n");
  CHECK(sim_stats_line("{").starts_with("  (the simulator's figures are unreadable: "));
  CHECK(sim_stats_line(R"({"total_requests":40})").starts_with("  (the simulator's figures are unreadable: "));
}
