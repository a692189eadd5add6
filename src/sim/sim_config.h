#pragma once
// Everything `reelq sim` can be told. Defaults mimic the Pro plan of the real API.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/sim_latency.h"
#include "util/result.h"

namespace reelq {

// Probabilities per request (0..1), drawn from the seeded generator. All off by default.
struct FaultRates {
  double server_error = 0;  // 502 with an HTML body, nothing done
  double drop_before = 0;   // connection closed before anything is done
  double drop_after = 0;    // generateTask only: the task is created, then the connection is closed
  double truncate = 0;      // result downloads only: half the bytes, then the connection is closed
  double burst_429 = 0;     // starts a burst: this and the next burst_length requests answer 429
  // Per task with a callback_url, like apixo's at-least-once delivery: never delivered, delivered
  // 30-120 s (scaled) late, or delivered twice.
  double callback_lost = 0;
  double callback_late = 0;
  double callback_twice = 0;
  int burst_length = 5;
};

// One hostile answer the simulator gives, for the reliability tests (docs/reliability.md). Each
// touches only the first task created, or the first submit or status request, so a batch shows it beside
// normal jobs.
enum class SimHostile {
  none,
  result_not_json,           // task 1's success carries a resultJson that is not JSON
  no_result_urls,            // task 1's success carries resultJson "{}"
  file_result_url,           // task 1's success points at file:///etc/passwd
  foreign_task,              // every status answer about task 1 is another task's (or a made-up one)
  flip_state,                // task 1 says success once, then processing again
  unknown_state,             // task 1 is in state "queued_for_gpu" until it is done
  bad_task_id,               // the first submit creates a task but answers with a 10 KB taskId holding NUL
  retry_after_day,           // the first submit/status request answers 429 with Retry-After: 86400
  code_429_in_200,           // the first submit/status request answers HTTP 200 with {"code":429,...}
  huge_body,                 // the first status answer is 100 MB long
  gateway_524_after_create,  // the first submit creates the task, then a proxy answers an HTML 524
  success_no_task_id,        // the first submit creates the task and answers success with data {}
  key_echo,                  // task 1's state, then its failCode and a 100 KB failMsg, echo the Authorization
                             // header with escape sequences
  many_result_urls,          // task 1's success carries 3000 resultUrls
  // Task 1 exists, renders and is charged, but its status answers 404 "Task not found": like an
  // API replica that has not seen it yet, or another key of the same account.
  late_task,  // ... for its first 240 s (scaled) after it was created, then as ever
  lost_task,  // ... always
  // Task 1's result download (its URL still comes from the API as ever):
  escaping_result_url,  // its URL's path climbs out with ../ (/files/ID/../../../../etc/passwd); served
  redirect_loop,        // 302 to its own URL, forever
  redirect_to_file,     // 302 to file:///etc/passwd
  endless_download,     // 200, no Content-Length: the video's bytes, then zeros without end
  trickle_download,     // 200, no Content-Length: 4 bytes every 250 ms (real time), without end
};

// "result-not-json" and so on; nullopt for an unknown name.
std::optional<SimHostile> parse_sim_hostile(const std::string& name);
const std::vector<std::string>& sim_hostile_names();

// The caps of apixo's plans, per key (NOTES.md: "Limits are per API key and depend on the plan").
struct SimPlanCaps {
  int rpm = 60;
  int concurrency = 10;
};
// "pro" or "free"; nullopt for an unknown name.
std::optional<SimPlanCaps> sim_plan_caps(const std::string& name);
const std::vector<std::string>& sim_plan_names();

// One API key the simulator accepts. The caps and credits it leaves unset are SimConfig's (--rpm,
// --concurrency, --credits), so a bare key behaves as every key did before keys had caps of their own.
struct SimKey {
  std::string name;  // printed and reported instead of the key; "" = "key1", "key2", ... by position
  std::string key;   // the secret a client sends as "Authorization: Bearer KEY"; never printed
  std::optional<int> rpm;
  std::optional<int> concurrency;
  std::optional<double> credits;  // USD at start
  bool revoked = false;           // known, but every request answers 401 (a key withdrawn mid-run)

  SimKey() = default;
  // A bare key with SimConfig's caps: `config.keys = {"k1", "k2"}` as before keys were named.
  SimKey(std::string bare_key) : key(std::move(bare_key)) {}  // NOLINT: implicit by design
  SimKey(const char* bare_key) : key(bare_key) {}             // NOLINT: implicit by design
};

// --keys: comma-separated entries, each either a bare KEY (the old form, named key1, key2, ... by
// position, with --rpm, --concurrency and --credits) or NAME:KEY[:RPM:CONCURRENT[:CREDITS]]. NAME is
// letters, digits, '-', '_' and '.'; names are unique, and so are keys. An error names the entry
// (by position and NAME, never by the key's text) and the part that is wrong.
Result<std::vector<SimKey>> parse_sim_keys(const std::string& text);
// --revoked NAME,...: marks those keys revoked; an error for a name not in `keys`.
Status revoke_sim_keys(std::vector<SimKey>& keys, const std::string& names);
// The name a key is reported by (SimKey::name, else "key" + its 1-based position).
std::string sim_key_name(const std::vector<SimKey>& keys, size_t index);

struct SimConfig {
  std::string host = "127.0.0.1";
  int port = 0;  // 0 = pick a free port (printed on start)
  std::vector<SimKey> keys = {"sim-key"};
  double credits = 1000;  // USD per key (unless its SimKey says); a task costs prices.json's rate x duration
  int rpm = 60;           // requests per rolling window, per key (unless its SimKey says), every request counted
  int concurrency = 10;   // tasks pending or processing, per key (unless its SimKey says)
  double time_scale = 1;  // multiplies every duration and the rate window
  std::uint64_t seed = 1;
  double mean_render_seconds = 180;  // an 8 s 720p video; longer for 12 s and for 1080p/large sizes
  double render_spread = 0.12;       // sd of log(render time): about 12% either way
  double url_ttl_seconds = 15 * 86400;
  std::string reject_word = "REJECTME";        // in a prompt: 400 at submit, content violation
  std::string violation_word = "VIOLATEME";    // in a prompt: the task fails with CONTENT_VIOLATION
  std::string bad_image_word = "unreachable";  // in an image URL: the task fails with INVALID_IMAGE_URL
  std::string prices_json;                     // "" = the built-in schemas/prices.json
  std::string ledger_path;                     // "" = no ledger; else one JSON line per request
  std::string state_path;  // "" = forget everything on exit; else tasks and credits outlive a restart
  FaultRates faults;
  // How long answers take (--latency-ms, --slow-rate, --slow-seconds; --fault-slow is --slow-rate).
  SimLatencyConfig latency;
  SimHostile hostile = SimHostile::none;
};

}  // namespace reelq
