#include "sim/sim_core.h"

#include <Poco/JSON/Parser.h>
#include <Poco/URI.h>
#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <deque>
#include <fstream>
#include <optional>
#include <unordered_map>

#include "sim/sim_state.h"
#include "sim/sim_validate.h"
#include "util/embedded.h"
#include "util/safe_file.h"
#include "util/text.h"

namespace reelq {

namespace {

constexpr const char* k_envelope_error = R"({{"code":{},"message":{},"data":null}})";
// How long a late-task hostile answers 404 for task 1: past the first poll (120 s), well short of
// the stretch after which reelq gives a task up as lost (600 s).
constexpr double k_late_task_seconds = 240;

// One key's caps (SimConfig's where its SimKey names none), what it has left and what it met.
struct KeyState {
  std::string name;
  std::string key;
  int rpm = 0;
  int concurrency = 0;
  bool revoked = false;
  double credits = 0;
  std::deque<TimeMs> window;  // times of this key's requests inside the rolling window
  int max_window = 0;
  int max_active = 0;
  int requests = 0;  // every API request made with this key, refused ones included
  int rate_429 = 0;
  int concurrency_429 = 0;
  int tasks_created = 0;
  int foreign_polls = 0;  // status requests made with this key about another key's task
};

std::vector<KeyState> key_states(const SimConfig& config) {
  std::vector<KeyState> keys;
  for (size_t i = 0; i < config.keys.size(); ++i) {
    const SimKey& k = config.keys[i];
    KeyState s;
    s.name = sim_key_name(config.keys, i);
    s.key = k.key;
    s.rpm = k.rpm.value_or(config.rpm);
    s.concurrency = k.concurrency.value_or(config.concurrency);
    s.revoked = k.revoked;
    s.credits = k.credits.value_or(config.credits);
    keys.push_back(std::move(s));
  }
  return keys;
}

std::string key_stats_json(const KeyState& k) {
  return fmt::format(
      R"({{"requests":{},"most_in_window":{},"most_running":{},"rate_429":{},"concurrency_429":{},)"
      R"("tasks_created":{},"foreign_polls":{},"credits_left":{:.4f},"rpm":{},"concurrency":{},"revoked":{}}})",
      k.requests, k.max_window, k.max_active, k.rate_429, k.concurrency_429, k.tasks_created, k.foreign_polls,
      k.credits, k.rpm, k.concurrency, k.revoked);
}

SimReply json_reply(int status, std::string body) {
  SimReply r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

SimReply error_reply(int status, const std::string& message) {
  return json_reply(status, fmt::format(k_envelope_error, status, json_quote(message)));
}

std::string query_param(const std::string& query, const std::string& name) {
  for (const auto& [k, v] : Poco::URI("/?" + query).getQueryParameters()) {
    if (k == name) {
      return v;
    }
  }
  return "";
}

const std::vector<std::pair<std::string, SimHostile>>& hostile_table() {
  static const std::vector<std::pair<std::string, SimHostile>> table = {
      {"none", SimHostile::none},
      {"result-not-json", SimHostile::result_not_json},
      {"no-result-urls", SimHostile::no_result_urls},
      {"file-result-url", SimHostile::file_result_url},
      {"foreign-task", SimHostile::foreign_task},
      {"flip-state", SimHostile::flip_state},
      {"unknown-state", SimHostile::unknown_state},
      {"bad-task-id", SimHostile::bad_task_id},
      {"retry-after-day", SimHostile::retry_after_day},
      {"code-429-in-200", SimHostile::code_429_in_200},
      {"huge-body", SimHostile::huge_body},
      {"late-task", SimHostile::late_task},
      {"lost-task", SimHostile::lost_task},
      {"gateway-524-after-create", SimHostile::gateway_524_after_create},
      {"success-no-taskid", SimHostile::success_no_task_id},
      {"key-echo", SimHostile::key_echo},
      {"many-result-urls", SimHostile::many_result_urls},
      {"escaping-result-url", SimHostile::escaping_result_url},
      {"redirect-loop", SimHostile::redirect_loop},
      {"redirect-to-file", SimHostile::redirect_to_file},
      {"endless-download", SimHostile::endless_download},
      {"trickle-download", SimHostile::trickle_download},
  };
  return table;
}

}  // namespace

std::optional<SimHostile> parse_sim_hostile(const std::string& name) {
  for (const auto& [n, h] : hostile_table()) {
    if (n == name) {
      return h;
    }
  }
  return std::nullopt;
}

const std::vector<std::string>& sim_hostile_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& [n, h] : hostile_table()) {
      out.push_back(n);
    }
    return out;
  }();
  return names;
}

struct SimCore::Impl {
  SimConfig config;
  Clock& clock;
  std::string video;
  std::mutex mutex;
  std::mt19937_64 fault_rng;
  std::string public_base;
  SimCore::ImageProbe image_probe;
  std::vector<std::pair<std::string, std::string>> images_fetched;  // (url, sha256)
  int callbacks_lost = 0;
  int callbacks_late = 0;
  int callbacks_twice = 0;
  std::vector<KeyState> keys;
  std::unordered_map<std::string, SimTask> tasks;
  std::vector<std::string> task_order;
  // Tasks by the time they end, until that time has passed and a failed one is refunded: a submit
  // counts the running tasks and settles refunds from here, not from every task ever made (a
  // batch of 10,000 would make each submit cost the batch).
  std::multimap<TimeMs, std::string> unsettled;
  std::map<std::string, std::map<std::string, int>> counts;  // endpoint -> outcome -> n
  std::map<std::string, int> tasks_by_input;
  // 429s answered because a cap was exceeded (or a fault burst), never a hostile one, by the
  // API's two messages: "Rate limit exceeded" and "Concurrent task limit exceeded".
  int rate_429 = 0;
  int concurrency_429 = 0;
  SimLatency latency;
  std::uint64_t api_requests = 0;  // numbers each API request for its delay
  int slow_answers = 0;
  int burst_left = 0;
  bool hostile_request_done = false;  // the first-request hostile answers are given once
  bool hostile_status_done = false;
  int first_task_successes = 0;  // success answers given about task 1 (flip_state)
  int callbacks_delivered = 0;
  int callback_failures = 0;
  std::vector<CallbackDelivery> retries;
  std::vector<TimeMs> retry_at;
  Poco::JSON::Object::Ptr prices;
  std::optional<WriteFile> ledger;  // appended to; never through a link (util/safe_file.h)

  Impl(SimConfig c, Clock& cl, std::string v)
      : config(std::move(c)), clock(cl), video(std::move(v)), latency(config.latency, config.time_scale, config.seed) {
    fault_rng.seed(config.seed ^ 0x5eed5eedULL);
    keys = key_states(config);
    Poco::JSON::Parser parser;
    std::string text = config.prices_json.empty() ? std::string(embedded::prices_json()) : config.prices_json;
    prices = parser.parse(text).extract<Poco::JSON::Object::Ptr>()->getObject("models");
    if (!config.ledger_path.empty()) {
      if (auto file = WriteFile::open(config.ledger_path, WriteMode::append)) {
        ledger.emplace(std::move(file.value()));
      }
    }
  }

  TimeMs scaled(double seconds) const { return static_cast<TimeMs>(seconds * 1000.0 * config.time_scale); }

  // --state FILE (sim_state.h). A write that fails is said once per failure on stderr; the
  // simulator goes on, as an API whose disk is full would still answer.
  void save_state() {
    if (config.state_path.empty()) {
      return;
    }
    SimSnapshot snap;
    for (const auto& id : task_order) {
      snap.tasks.push_back(tasks.at(id));
    }
    for (const auto& k : keys) {
      snap.credits.push_back(k.credits);
    }
    snap.tasks_by_input = tasks_by_input;
    if (auto st = write_snapshot(config.state_path, snap); !st) {
      std::fprintf(stderr, "reelq sim: %s\n", st.error().message.c_str());
    }
  }

  Status load_state() {
    if (config.state_path.empty()) {
      return ok_status();
    }
    auto snap = read_snapshot(config.state_path);
    if (!snap) {
      return snap.error();
    }
    if (!snap->credits.empty() && snap->credits.size() != keys.size()) {
      return Error{ErrorKind::usage,
                   fmt::format("{} holds the credits of {}; this simulator has {} (--keys)", config.state_path,
                               count_of(static_cast<long long>(snap->credits.size()), "key"),
                               count_of(static_cast<long long>(keys.size()), "key"))};
    }
    for (size_t i = 0; i < snap->credits.size(); ++i) {
      keys[i].credits = snap->credits[i];
    }
    for (SimTask& t : snap->tasks) {
      if (t.key >= keys.size()) {
        return Error{ErrorKind::usage, fmt::format("{}: task {} belongs to key {} of {}", config.state_path, t.id,
                                                   t.key + 1, keys.size())};
      }
      task_order.push_back(t.id);
      unsettled.emplace(t.done_at, t.id);
      std::string id = t.id;
      tasks.emplace(id, std::move(t));
    }
    tasks_by_input = snap->tasks_by_input;
    return ok_status();
  }

  // The client now knows the task has ended (when it has).
  static void mark_seen(SimTask& t, TimeMs now) {
    if (now >= t.done_at && !t.seen_at) {
      t.seen_at = now;
    }
  }

  // SimConfig::latency: how long this API request's answer takes to leave.
  void delay(SimReply& r) {
    AnswerDelay d = latency.delay_for(++api_requests);
    r.delay_ms = d.ms;
    slow_answers += d.slow ? 1 : 0;
  }

  // Tasks that have ended and that the client has not heard of (no status answer, no delivered
  // callback said so), and the longest any ended task waited to be heard of, up to now if it still waits.
  std::string done_unseen_json(TimeMs now) const {
    int unseen = 0;
    TimeMs longest = 0;
    for (const auto& [id, t] : tasks) {
      if (now < t.done_at) {
        continue;
      }
      unseen += t.seen_at ? 0 : 1;
      longest = std::max(longest, t.seen_at.value_or(now) - t.done_at);
    }
    return fmt::format(R"({{"tasks":{},"longest_wait_ms":{}}})", unseen, longest);
  }

  bool chance(double p) { return p > 0 && std::uniform_real_distribution<double>(0, 1)(fault_rng) < p; }

  // Refunds the failed tasks that have ended by `now` and forgets every ended task.
  void settle(TimeMs now) {
    while (!unsettled.empty() && unsettled.begin()->first <= now) {
      refund_if_failed(tasks[unsettled.begin()->second], now);
      unsettled.erase(unsettled.begin());
    }
  }

  int active_tasks(size_t key, TimeMs now) {
    settle(now);
    int n = 0;
    for (const auto& [done_at, id] : unsettled) {
      n += tasks[id].key == key ? 1 : 0;
    }
    return n;
  }

  std::optional<size_t> authenticate(const std::string& authorization) const {
    const std::string prefix = "Bearer ";
    if (!authorization.starts_with(prefix)) {
      return std::nullopt;
    }
    for (size_t i = 0; i < keys.size(); ++i) {
      if (keys[i].key == authorization.substr(prefix.size())) {
        return i;
      }
    }
    return std::nullopt;
  }

  // Counts the request in the key's rolling window; returns how many the window now holds.
  int count_in_window(KeyState& k, TimeMs now) {
    TimeMs window = scaled(60);
    while (!k.window.empty() && k.window.front() <= now - window) {
      k.window.pop_front();
    }
    k.window.push_back(now);
    int n = static_cast<int>(k.window.size());
    k.max_window = std::max(k.max_window, n);
    return n;
  }

  std::optional<double> price(const std::string& model, const ParsedSubmit& s) const {
    auto m = prices->getObject(model);
    std::string tier = s.mode == "text-to-video" ? s.size : s.resolution;
    if (!m || !m->has(tier)) {
      return std::nullopt;
    }
    return m->getValue<double>(tier) * s.duration;
  }

  // Render time: the configured mean for an 8 s 720p video, scaled by duration and size, with a
  // seeded log-normal spread so each task's time is fixed by the seed and its sequence number.
  TimeMs render_time(const ParsedSubmit& s, size_t seq) const {
    std::mt19937_64 rng(config.seed * 0x9E3779B97F4A7C15ULL + seq);
    double factor = s.duration == 4 ? 0.7 : s.duration == 12 ? 1.35 : 1.0;
    if (s.resolution == "1080p" || s.size == "1024*1792" || s.size == "1792*1024") {
      factor *= 1.25;
    }
    double spread = std::exp(std::normal_distribution<double>(0, config.render_spread)(rng));
    return scaled(config.mean_render_seconds * factor * spread);
  }

  bool is_first_task(const std::string& id) const { return !task_order.empty() && task_order.front() == id; }
  bool hostile_on_first(const std::string& id, SimHostile h) const { return config.hostile == h && is_first_task(id); }

  std::string task_json(const SimTask& t, TimeMs now) const {
    if (hostile_on_first(t.id, SimHostile::key_echo)) {
      return key_echo_json(t, now);
    }
    if (now < t.done_at) {
      const char* state = hostile_on_first(t.id, SimHostile::unknown_state) ? "queued_for_gpu"
                          : now < t.processing_at                           ? "pending"
                                                                            : "processing";
      return fmt::format(R"({{"taskId":{},"state":"{}","createTime":{}}})", json_quote(t.id), state, t.created);
    }
    if (!t.fail_code.empty()) {
      return fmt::format(
          R"({{"taskId":{},"state":"failed","failCode":{},"failMsg":{},"createTime":{},"completeTime":{}}})",
          json_quote(t.id), json_quote(t.fail_code), json_quote(t.fail_msg), t.created, t.done_at);
    }
    std::string url = fmt::format("{}/files/{}/0.mp4?expires={}", public_base, t.id, t.expires_at);
    if (hostile_on_first(t.id, SimHostile::escaping_result_url)) {
      url = fmt::format("{}/files/{}/../../../../etc/passwd?expires={}", public_base, t.id, t.expires_at);
    }
    std::string result = fmt::format(R"({{"resultUrls":[{}]}})", json_quote(url));
    if (hostile_on_first(t.id, SimHostile::many_result_urls)) {
      std::string urls;
      for (int i = 0; i < 3000; ++i) {
        urls += (i ? "," : "") +
                json_quote(fmt::format("{}/files/{}/{}.mp4?expires={}", public_base, t.id, i, t.expires_at));
      }
      result = fmt::format(R"({{"resultUrls":[{}]}})", urls);
    }
    if (hostile_on_first(t.id, SimHostile::result_not_json)) {
      result = "resultUrls: not JSON {";
    } else if (hostile_on_first(t.id, SimHostile::no_result_urls)) {
      result = "{}";
    } else if (hostile_on_first(t.id, SimHostile::file_result_url)) {
      result = R"({"resultUrls":["file:///etc/passwd"]})";
    }
    return fmt::format(
        R"({{"taskId":{},"state":"success","resultJson":{},"createTime":{},"completeTime":{},"costTime":{}}})",
        json_quote(t.id), json_quote(result), t.created, t.done_at, t.done_at - t.created);
  }

  // An API that echoes the request's Authorization header into the task's own words, with
  // escape sequences (a window title, a screen clear) and without a bound on length.
  std::string key_echo_json(const SimTask& t, TimeMs now) const {
    std::string echo = "Authorization: Bearer " + keys[t.key].key;
    if (now < t.done_at) {
      return fmt::format(R"({{"taskId":{},"state":{},"createTime":{}}})", json_quote(t.id),
                         json_quote(echo + "\x1b]0;owned\x07"), t.created);
    }
    return fmt::format(
        R"({{"taskId":{},"state":"failed","failCode":{},"failMsg":{},"createTime":{},"completeTime":{}}})",
        json_quote(t.id), json_quote(echo + "\x1b[2J" + std::string(200, 'C')),
        json_quote(echo + " " + std::string(100 * 1024, 'M')), t.created, t.done_at);
  }

  std::string envelope(const std::string& data) const {
    return fmt::format(R"({{"code":200,"message":"success","data":{}}})", data);
  }

  void refund_if_failed(SimTask& t, TimeMs now) {
    if (!t.refunded && now >= t.done_at && !t.fail_code.empty()) {
      keys[t.key].credits += t.cost;  // failed renders are not charged
      t.refunded = true;
    }
  }

  SimReply generate(size_t key, const std::string& model, const SimRequest& req, TimeMs now, std::string& outcome,
                    std::string& task_id) {
    ParsedSubmit s;
    std::string problem;
    if (!prices->has(model)) {
      outcome = "invalid";
      return error_reply(404, fmt::format("Model not found: {}", model));
    }
    if (!parse_submit(req.body, s, problem)) {
      outcome = "invalid";
      return json_reply(
          400, fmt::format(R"({{"code":400,"message":"Invalid request","data":{{"error":{}}}}})", json_quote(problem)));
    }
    if (!config.reject_word.empty() && s.prompt.find(config.reject_word) != std::string::npos) {
      outcome = "content_rejected";
      return error_reply(400, "Content violates provider policy, please adjust the prompt");
    }
    int active = active_tasks(key, now);
    if (active >= keys[key].concurrency) {
      outcome = "concurrency_limited";
      ++concurrency_429;
      ++keys[key].concurrency_429;
      return error_reply(429, "Concurrent task limit exceeded");
    }
    auto cost = price(model, s);
    if (!cost) {
      outcome = "invalid";
      return error_reply(400, "No price for this size or resolution");
    }
    settle(now);
    if (keys[key].credits + 1e-9 < *cost) {
      outcome = "credits";
      return error_reply(400, "Insufficient credits");
    }
    keys[key].credits -= *cost;
    size_t seq = task_order.size() + 1;
    SimTask t;
    t.id = fmt::format("task_{:08x}{:04x}", static_cast<unsigned>(config.seed * 2654435761u + seq) & 0xffffffffu,
                       static_cast<unsigned>(seq & 0xffff));
    t.key = key;
    t.created = now;
    TimeMs render = render_time(s, seq);
    t.processing_at = now + std::min<TimeMs>(scaled(10), render / 20);
    t.done_at = now + render;
    t.expires_at = t.done_at + scaled(config.url_ttl_seconds);
    t.cost = *cost;
    t.callback_url = s.callback_url;
    if (!config.violation_word.empty() && s.prompt.find(config.violation_word) != std::string::npos) {
      t.fail_code = "CONTENT_VIOLATION";
      t.fail_msg = "Content does not meet safety guidelines";
    }
    for (const auto& url : s.image_urls) {
      if (!t.fail_code.empty()) {
        break;
      }
      bool bad = !config.bad_image_word.empty() && url.find(config.bad_image_word) != std::string::npos;
      if (!bad && image_probe) {
        std::optional<std::string> sha = image_probe(url);
        bad = !sha;
        if (sha && !sha->empty()) {
          images_fetched.emplace_back(url, *sha);
        }
      }
      if (bad) {
        t.fail_code = "INVALID_IMAGE_URL";
        t.fail_msg = "Cannot access provided image URL";
      }
    }
    keys[key].max_active = std::max(keys[key].max_active, active + 1);
    ++keys[key].tasks_created;
    ++tasks_by_input[s.input_canonical];
    task_id = t.id;
    task_order.push_back(t.id);
    unsettled.emplace(t.done_at, t.id);
    tasks.emplace(t.id, std::move(t));
    save_state();  // before the answer: a task the client may learn of outlives a restart
    outcome = "ok";
    if (config.hostile == SimHostile::gateway_524_after_create && task_order.size() == 1) {
      // The API made the task; the proxy in front gave up waiting for its answer.
      outcome = "hostile_gateway_524_after_create";
      SimReply r = json_reply(524,
                              "<!DOCTYPE html><html><head><title>error code: 524</title></head><body>A timeout "
                              "occurred</body></html>");
      r.content_type = "text/html";
      return r;
    }
    if (config.hostile == SimHostile::success_no_task_id && task_order.size() == 1) {
      outcome = "hostile_success_no_task_id";
      return json_reply(200, envelope("{}"));
    }
    if (config.hostile == SimHostile::bad_task_id && task_order.size() == 1) {
      // The task exists and is charged; the answer names it with an id no client can keep.
      outcome = "hostile_bad_task_id";
      return json_reply(200, envelope(fmt::format(R"({{"taskId":"task_\u0000/../{}"}})", std::string(10240, 'x'))));
    }
    return json_reply(200, envelope(fmt::format(R"({{"taskId":{}}})", json_quote(task_id))));
  }

  SimReply status(size_t key, const SimRequest& req, TimeMs now, std::string& outcome, std::string& task_id) {
    task_id = query_param(req.query, "taskId");
    if (task_id.empty()) {
      outcome = "invalid";
      return json_reply(
          400, R"({"code":400,"message":"Invalid request","data":{"error":"Missing required parameter: taskId"}})");
    }
    auto it = tasks.find(task_id);
    if (it == tasks.end()) {
      outcome = "not_found";
      return error_reply(404, "Task not found");
    }
    if (it->second.key != key) {
      // How the real API answers a key of the same account about another key's task is not
      // documented; 404 is the answer a client must survive anyway, and it makes the mistake loud.
      outcome = "foreign_poll";
      ++keys[key].foreign_polls;
      return error_reply(404, "Task not found");
    }
    if (hostile_on_first(task_id, SimHostile::lost_task) ||
        (hostile_on_first(task_id, SimHostile::late_task) && now < it->second.created + scaled(k_late_task_seconds))) {
      outcome = "hostile_not_found";
      return error_reply(404, "Task not found");
    }
    refund_if_failed(it->second, now);
    outcome = "ok";
    if (auto hostile = hostile_status(it->second, now, outcome)) {
      return *hostile;
    }
    mark_seen(it->second, now);
    return json_reply(200, envelope(task_json(it->second, now)));
  }

  // The status answers of SimConfig::hostile, or nullopt for a normal answer.
  std::optional<SimReply> hostile_status(const SimTask& t, TimeMs now, std::string& outcome) {
    if (config.hostile == SimHostile::huge_body && !hostile_status_done) {
      hostile_status_done = true;
      outcome = "hostile_huge_body";
      std::string data = task_json(t, now);
      data.insert(data.size() - 1, fmt::format(R"(,"padding":"{}")", std::string(100 * 1024 * 1024, 'x')));
      return json_reply(200, envelope(data));
    }
    if (hostile_on_first(t.id, SimHostile::foreign_task)) {
      outcome = "hostile_foreign_task";
      // The most recent other task, whatever its state: the answer a crossed gateway would give.
      for (auto other = task_order.rbegin(); other != task_order.rend(); ++other) {
        if (*other != t.id) {
          return json_reply(200, envelope(task_json(tasks.at(*other), now)));
        }
      }
      SimTask made_up = t;
      made_up.id = t.id + "-other";
      return json_reply(200, envelope(task_json(made_up, now)));
    }
    if (hostile_on_first(t.id, SimHostile::flip_state) && now >= t.done_at && t.fail_code.empty() &&
        first_task_successes++ > 0) {
      outcome = "hostile_flip_state";
      return json_reply(200, envelope(fmt::format(R"({{"taskId":{},"state":"processing","createTime":{}}})",
                                                  json_quote(t.id), t.created)));
    }
    return std::nullopt;
  }

  // The first-request answers of SimConfig::hostile, or nullopt. The balance check is left alone,
  // so the answer reaches the run's loop.
  std::optional<SimReply> hostile_request(const std::string& endpoint, std::string& outcome) {
    if (hostile_request_done || endpoint == "balance") {
      return std::nullopt;
    }
    if (config.hostile == SimHostile::retry_after_day) {
      hostile_request_done = true;
      outcome = "hostile_retry_after_day";
      SimReply r = error_reply(429, "Rate limit exceeded");
      r.headers.emplace_back("Retry-After", "86400");
      return r;
    }
    if (config.hostile == SimHostile::code_429_in_200) {
      hostile_request_done = true;
      outcome = "hostile_code_429_in_200";
      return json_reply(200, fmt::format(k_envelope_error, 429, json_quote("Rate limit exceeded")));
    }
    return std::nullopt;
  }

  // The download answers of SimConfig::hostile for task 1's result file, or nullopt.
  std::optional<SimReply> hostile_file(const SimRequest& req, const std::string& id, std::string& outcome) const {
    if (!is_first_task(id)) {
      return std::nullopt;
    }
    SimReply r = json_reply(302, "");
    r.content_type = "text/plain";
    switch (config.hostile) {
      case SimHostile::escaping_result_url:
        outcome = "hostile_escaping_result_url";
        r = json_reply(200, video);
        r.content_type = "video/mp4";
        return r;
      case SimHostile::redirect_loop:
        outcome = "hostile_redirect_loop";
        r.headers.emplace_back("Location", fmt::format("{}{}?{}", public_base, req.path, req.query));
        return r;
      case SimHostile::redirect_to_file:
        outcome = "hostile_redirect_to_file";
        r.headers.emplace_back("Location", "file:///etc/passwd");
        return r;
      case SimHostile::endless_download:
      case SimHostile::trickle_download:
        outcome =
            config.hostile == SimHostile::endless_download ? "hostile_endless_download" : "hostile_trickle_download";
        r = json_reply(200, video);
        r.content_type = "video/mp4";
        r.fault = config.hostile == SimHostile::endless_download ? SimFault::endless : SimFault::trickle;
        return r;
      default:
        return std::nullopt;
    }
  }

  // The key a top-up names: its NAME, or its index from 0 in --keys order (a name that reads as a
  // number is taken as a name first).
  std::optional<size_t> key_named(const std::string& k) const {
    for (size_t i = 0; i < keys.size(); ++i) {
      if (keys[i].name == k) {
        return i;
      }
    }
    if (k.empty() || k.find_first_not_of("0123456789") != std::string::npos || k.size() > 9) {
      return std::nullopt;
    }
    return std::stoul(k);
  }

  // POST /__sim/credits?key=NAME|N&add=USD: a top-up from the account's owner (key 0 when none named).
  SimReply top_up(const SimRequest& req) {
    const std::string usage =
        R"x({"error":"POST /__sim/credits?key=NAME&add=USD (or key=N, from 0 in --keys order)"})x";
    if (req.method != "POST") {
      return json_reply(400, usage);
    }
    size_t key = 0;
    double add = 0;
    try {
      const std::string k = query_param(req.query, "key");
      const std::string a = query_param(req.query, "add");
      size_t used = 0;
      if (!k.empty()) {
        auto named = key_named(k);
        if (!named) {
          return json_reply(400, usage);
        }
        key = *named;
      }
      add = std::stod(a, &used);
      if (used != a.size() || !std::isfinite(add)) {
        return json_reply(400, usage);
      }
    } catch (const std::exception&) {
      return json_reply(400, usage);
    }
    if (key >= keys.size()) {
      return json_reply(400, usage);
    }
    keys[key].credits += add;
    save_state();
    return json_reply(200, fmt::format(R"({{"key":{},"name":{},"credits":{:.4f}}})", key, json_quote(keys[key].name),
                                       keys[key].credits));
  }

  SimReply file(const SimRequest& req, TimeMs now, std::string& outcome) {
    // /files/{taskId}/0.mp4
    std::string rest = req.path.substr(std::string("/files/").size());
    std::string id = rest.substr(0, rest.find('/'));
    auto it = tasks.find(id);
    bool escaping = hostile_on_first(id, SimHostile::escaping_result_url) && rest == id + "/../../../../etc/passwd";
    if (it == tasks.end() || now < it->second.done_at || !it->second.fail_code.empty() ||
        (rest != id + "/0.mp4" && !escaping)) {
      outcome = "not_found";
      SimReply r = json_reply(404, "Not Found");
      r.content_type = "text/plain";
      return r;
    }
    if (query_param(req.query, "expires") != std::to_string(it->second.expires_at) || now >= it->second.expires_at) {
      outcome = "expired";
      SimReply r = json_reply(403, "Request has expired");
      r.content_type = "text/plain";
      return r;
    }
    if (auto hostile = hostile_file(req, id, outcome)) {
      return *hostile;
    }
    outcome = "ok";
    SimReply r = json_reply(200, video);
    r.content_type = "video/mp4";
    if (chance(config.faults.truncate)) {
      r.fault = SimFault::truncate;
      outcome = "fault_truncate";
    }
    return r;
  }

  // Faults that replace the answer. Returns true when `reply` is final.
  bool inject_fault(const std::string& endpoint, SimReply& reply, std::string& outcome) {
    const FaultRates& f = config.faults;
    if (burst_left > 0 || chance(f.burst_429)) {
      burst_left = burst_left > 0 ? burst_left - 1 : f.burst_length;
      ++rate_429;
      outcome = "fault_429";
      reply = error_reply(429, "Rate limit exceeded");
      return true;
    }
    if (chance(f.drop_before)) {
      outcome = "fault_drop_before";
      reply.fault = SimFault::drop_before;
      return true;
    }
    if (chance(f.server_error)) {
      outcome = "fault_5xx";
      reply = json_reply(
          502,
          "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
          "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n");
      reply.content_type = "text/html";
      return true;
    }
    if (endpoint == "generateTask" && chance(f.drop_after)) {
      reply.fault = SimFault::drop_after;
    }
    return false;
  }

  SimReply api(const SimRequest& req, TimeMs now, std::string& endpoint, std::string& outcome, std::string& task_id,
               int& key_no) {
    const std::string gen = "/api/v1/generateTask/";
    const std::string st = "/api/v1/statusTask/";
    endpoint = req.path.starts_with(gen)                       ? "generateTask"
               : req.path.starts_with(st)                      ? "statusTask"
               : req.path == "/api/v1/apikeys/current-balance" ? "balance"
                                                               : "unknown";
    auto key = authenticate(req.authorization);
    if (!key) {
      outcome = "unauthorized";
      return error_reply(401, "Invalid or missing API Key");
    }
    key_no = static_cast<int>(*key) + 1;
    KeyState& k = keys[*key];
    ++k.requests;
    if (k.revoked) {
      outcome = "revoked";
      return error_reply(401, "Invalid or missing API Key");
    }
    int in_window = count_in_window(k, now);
    if (auto hostile = hostile_request(endpoint, outcome)) {
      return *hostile;
    }
    SimReply faulted;
    if (inject_fault(endpoint, faulted, outcome)) {
      k.rate_429 += outcome == "fault_429" ? 1 : 0;
      return faulted;
    }
    if (in_window > k.rpm) {
      outcome = "rate_limited";
      ++rate_429;
      ++k.rate_429;
      return error_reply(429, "Rate limit exceeded");
    }
    SimReply r;
    if (endpoint == "generateTask" && req.method == "POST") {
      r = generate(*key, req.path.substr(gen.size()), req, now, outcome, task_id);
    } else if (endpoint == "statusTask" && req.method == "GET") {
      r = status(*key, req, now, outcome, task_id);
    } else if (endpoint == "balance" && req.method == "GET") {
      outcome = "ok";
      settle(now);  // a failed task is refunded when it fails, whether or not anyone asked since
      r = json_reply(200, envelope(fmt::format("{:.4f}", keys[*key].credits)));
    } else {
      outcome = "not_found";
      r = error_reply(404, "Not found");
    }
    r.fault = r.status == 200 ? faulted.fault : SimFault::none;
    if (r.fault == SimFault::drop_after) {
      outcome = "fault_drop_after";
    }
    return r;
  }

  // apixo delivers at least once, or not at all: under faults a callback is lost, late or doubled.
  void first_delivery(CallbackDelivery d, TimeMs now, std::vector<CallbackDelivery>& out) {
    if (chance(config.faults.callback_lost)) {
      ++callbacks_lost;
      return;
    }
    if (chance(config.faults.callback_late)) {
      ++callbacks_late;
      retries.push_back(d);
      retry_at.push_back(now + scaled(30 + 90 * std::uniform_real_distribution<double>(0, 1)(fault_rng)));
      return;
    }
    if (chance(config.faults.callback_twice)) {
      ++callbacks_twice;
      out.push_back(d);
    }
    out.push_back(std::move(d));
  }

  void log(const SimRequest& req, const std::string& endpoint, int key_no, int status, const std::string& outcome,
           const std::string& task_id, TimeMs delay_ms, TimeMs now) {
    ++counts[endpoint][outcome];
    if (ledger) {
      ledger->write(fmt::format(R"({{"at":{},"method":{},"path":{},"key":{},"status":{},"outcome":{},"task_id":{},)"
                                R"("delay_ms":{}}})"
                                "\n",
                                now, json_quote(req.method), json_quote(req.path), key_no, status, json_quote(outcome),
                                json_quote(task_id), delay_ms));
    }
  }
};

SimCore::SimCore(SimConfig config, Clock& clock, std::string video)
    : m_impl(std::make_unique<Impl>(std::move(config), clock, std::move(video))) {}
SimCore::~SimCore() = default;

Status SimCore::load_state() {
  std::lock_guard lock(m_impl->mutex);
  return m_impl->load_state();
}

void SimCore::save_state() {
  std::lock_guard lock(m_impl->mutex);
  m_impl->save_state();
}

void SimCore::set_public_base(const std::string& base) {
  std::lock_guard lock(m_impl->mutex);
  m_impl->public_base = base;
}

void SimCore::set_image_probe(ImageProbe probe) {
  std::lock_guard lock(m_impl->mutex);
  m_impl->image_probe = std::move(probe);
}

std::optional<double> SimCore::add_credits(size_t key, double usd) {
  std::lock_guard lock(m_impl->mutex);
  if (key >= m_impl->keys.size()) {
    return std::nullopt;
  }
  m_impl->keys[key].credits += usd;
  m_impl->save_state();
  return m_impl->keys[key].credits;
}

SimReply SimCore::handle(const SimRequest& req) {
  std::lock_guard lock(m_impl->mutex);
  TimeMs now = m_impl->clock.now_ms();
  std::string endpoint;
  std::string outcome;
  std::string task_id;
  int key_no = 0;
  SimReply r;
  if (req.path == "/__sim/stats") {
    return json_reply(200, "");  // filled by the caller via stats_json(), outside this lock
  }
  if (req.path == "/__sim/credits") {
    return m_impl->top_up(req);
  }
  if (req.path.starts_with("/files/")) {
    endpoint = "files";
    r = m_impl->file(req, now, outcome);
  } else {
    r = m_impl->api(req, now, endpoint, outcome, task_id, key_no);
    m_impl->delay(r);
  }
  m_impl->log(req, endpoint, key_no, r.fault == SimFault::drop_before ? 0 : r.status, outcome, task_id, r.delay_ms,
              now);
  return r;
}

std::vector<CallbackDelivery> SimCore::due_callbacks() {
  std::lock_guard lock(m_impl->mutex);
  TimeMs now = m_impl->clock.now_ms();
  std::vector<CallbackDelivery> out;
  for (const auto& id : m_impl->task_order) {
    SimTask& t = m_impl->tasks[id];
    if (!t.callback_url.empty() && !t.callback_started && now >= t.done_at) {
      t.callback_started = true;
      m_impl->refund_if_failed(t, now);
      m_impl->first_delivery({t.id, t.callback_url, m_impl->envelope(m_impl->task_json(t, now)), 1}, now, out);
    }
  }
  for (size_t i = 0; i < m_impl->retries.size();) {
    if (m_impl->retry_at[i] <= now) {
      out.push_back(m_impl->retries[i]);
      m_impl->retries.erase(m_impl->retries.begin() + static_cast<long>(i));
      m_impl->retry_at.erase(m_impl->retry_at.begin() + static_cast<long>(i));
    } else {
      ++i;
    }
  }
  return out;
}

void SimCore::callback_done(const CallbackDelivery& d, bool delivered) {
  std::lock_guard lock(m_impl->mutex);
  if (delivered) {
    ++m_impl->callbacks_delivered;
    if (auto it = m_impl->tasks.find(d.task_id); it != m_impl->tasks.end()) {
      Impl::mark_seen(it->second, m_impl->clock.now_ms());
    }
    return;
  }
  ++m_impl->callback_failures;
  if (d.attempt <= 3) {  // the first delivery and up to 3 retries, with growing delays
    CallbackDelivery next = d;
    ++next.attempt;
    m_impl->retries.push_back(next);
    m_impl->retry_at.push_back(m_impl->clock.now_ms() + m_impl->scaled(5.0 * (1 << (d.attempt - 1))));
  }
}

std::map<std::string, int> SimCore::tasks_by_input() {
  std::lock_guard lock(m_impl->mutex);
  return m_impl->tasks_by_input;
}

std::string SimCore::stats_json() {
  std::lock_guard lock(m_impl->mutex);
  auto& s = *m_impl;
  std::string requests = "{";
  int total = 0;
  for (const auto& [endpoint, outcomes] : s.counts) {
    requests += fmt::format("{}{}:{{", requests.size() > 1 ? "," : "", json_quote(endpoint));
    bool first = true;
    for (const auto& [outcome, n] : outcomes) {
      requests += fmt::format("{}{}:{}", first ? "" : ",", json_quote(outcome), n);
      first = false;
      total += n;
    }
    requests += "}";
  }
  requests += "}";
  int max_window = 0;
  int max_active = 0;
  std::string credits = "[";
  std::string per_key = "{";
  for (const auto& k : s.keys) {
    max_window = std::max(max_window, k.max_window);
    max_active = std::max(max_active, k.max_active);
    credits += fmt::format("{}{:.4f}", credits.size() > 1 ? "," : "", k.credits);
    per_key += fmt::format("{}{}:{}", per_key.size() > 1 ? "," : "", json_quote(k.name), key_stats_json(k));
  }
  credits += "]";
  per_key += "}";
  int max_per_input = 0;
  std::string by_input = "[";
  for (const auto& [input, n] : s.tasks_by_input) {
    max_per_input = std::max(max_per_input, n);
    by_input += fmt::format("{}{{\"input\":{},\"tasks\":{}}}", by_input.size() > 1 ? "," : "", json_quote(input), n);
  }
  by_input += "]";
  std::string fetched = "[";
  for (const auto& [url, sha] : s.images_fetched) {
    fetched +=
        fmt::format("{}{{\"url\":{},\"sha256\":{}}}", fetched.size() > 1 ? "," : "", json_quote(url), json_quote(sha));
  }
  fetched += "]";
  return fmt::format(
      R"({{"requests":{},"total_requests":{},"rate_limited_sent":{},"rpm":{},"concurrency":{},"rate_window_ms":{},)"
      R"("max_requests_in_window":{},"max_concurrent_tasks":{},"tasks_created":{},"max_tasks_per_input":{},)"
      R"("tasks_by_input":{},"callbacks":{{"delivered":{},"failed_attempts":{},"lost":{},"late":{},"twice":{}}},)"
      R"("images_fetched":{},"credits_left":{},"rate_limited_by_kind":{{"rate":{},"concurrency":{}}},)"
      R"("latency":{{"latency_ms":{},"slow_rate":{},"slow_seconds":{}}},"slow_answers":{},"done_unseen":{},"keys":{}}})",
      requests, total, s.rate_429 + s.concurrency_429, s.config.rpm, s.config.concurrency, s.scaled(60), max_window,
      max_active, s.task_order.size(), max_per_input, by_input, s.callbacks_delivered, s.callback_failures,
      s.callbacks_lost, s.callbacks_late, s.callbacks_twice, fetched, credits, s.rate_429, s.concurrency_429,
      s.latency.config().latency_ms, s.latency.config().slow_rate, s.latency.config().slow_seconds, s.slow_answers,
      s.done_unseen_json(s.clock.now_ms()), per_key);
}

}  // namespace reelq
