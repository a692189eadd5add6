#include "cli/cli_wiring.h"

#include "settings.h"

namespace reelq {

namespace {

const std::map<std::string, std::string>& setting_help() {
  static const std::map<std::string, std::string> help = {
      {"api_base", "API base URL (REELQ_API_BASE)"},
      {"rpm", "API requests per rolling minute, all endpoints (default 60)"},
      {"max_concurrent", "Tasks at the API at once (default 10)"},
      {"poll_initial", "Seconds before a task's first poll until render times are learned (default 120)"},
      {"poll_interval", "Least seconds between polls of one task (default 2)"},
      {"output_dir", "Folder for results (default renders/BATCH next to the manifest)"},
      {"download_concurrency", "Result downloads at once (default 4)"},
      {"max_download_mb", "Largest result file in MB; a download past it stops and fails (default 4096)"},
      {"max_attempts", "Attempts per job for transient errors (default 5)"},
      {"max_spend", "The most the batch may cost (USD): no render is submitted past it; exit 3 when reached"},
      {"on_ambiguous", "resubmit (default, flagged) or hold a submit whose fate is unknown"},
      {"request_type", "async (default, polling) or callback (needs --listen and --public-url); also --mode"},
      {"time_scale", "Multiply the runner's time constants (pairs with reelq sim --time-scale)"},
      {"render_deadline", "Seconds after submit before a task still rendering is given up on (default 3600)"},
      {"wait_for_credits",
       "Seconds to keep reading the balance after credits run out, submitting again after a top-up (default 0)"},
      {"listen", "HOST:PORT for reelq's listener (callbacks, local images)"},
      {"public_url", "The URL at which apixo reaches --listen (a tunnel or reverse proxy)"},
      {"tls_cert", "PEM certificate: the listener speaks HTTPS (with --tls-key)"},
      {"tls_key", "PEM private key for --tls-cert"},
      {"image_base_url", "Local images are already uploaded under this URL (checked by SHA-256)"}};
  return help;
}

}  // namespace

void wire_run_flags(CLI::App* cmd, RunWiring& w) {
  cmd->add_option("--db", w.flags.db,
                  "Queue database (else REELQ_DB; else reelq.db beside the manifest, or found from the current "
                  "folder up)");
  cmd->add_option("--api-key-file", w.flags.api_key_file, "Read the API key from this file (else APIXO_API_KEY)");
  cmd->add_option("--keys", w.flags.keys_file,
                  "Read the API key from this keys file (else REELQ_KEYS; docs/keys.md): its name and caps");
  cmd->add_option("--ca-file", w.flags.ca_file, "Trust this CA bundle instead of the system's");
  for (const auto& key : setting_keys()) {
    std::string flag = setting_flag(key);  // the spelling every message uses
    if (key == "request_type") {
      flag += ",--request-type";
    }
    w.setting_options.emplace_back(
        key, cmd, cmd->add_option(flag, w.setting_values[cmd->get_name() + key], setting_help().at(key)));
  }
  cmd->add_flag("--allow-partial", w.flags.allow_partial, "Start even if the balance cannot pay for every render left");
  cmd->add_option("--drop-key", w.flags.drop_keys,
                  "Give up the tasks made with this key (name or fingerprint) when it is not given: they fail "
                  "KEY_DROPPED, may still render and be charged");
  cmd->add_option("--prices", w.flags.prices, "Price table for the balance check (default: built-in)");
  cmd->add_option("--on-finish", w.flags.hooks.on_finish,
                  "Run this shell command when the run ends: the summary in REELQ_* variables and as JSON on its "
                  "input (never the API key)");
  // From the environment too: a webhook's URL is its secret, and a command line is readable by every
  // user of the machine (ps, /proc/PID/cmdline) for as long as the night runs.
  cmd->add_option("--notify", w.flags.hooks.notify_url,
                  "POST the summary as JSON to this http(s) URL when the run ends (user:password@ as Basic auth; "
                  "else REELQ_NOTIFY, which keeps the URL off the command line)")
      ->envname("REELQ_NOTIFY");
  cmd->add_option("--hook-timeout", w.flags.hooks.timeout_s,
                  "Seconds --on-finish and --notify may take, side by side under one deadline")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  cmd->add_flag("--quiet", w.quiet, "Print only problems and the summary");
  cmd->add_flag("--log-json", w.log_json, "Log as JSON lines");
}

void collect_run_settings(CLI::App* cmd, RunWiring& w) {
  for (const auto& [key, owner, option] : w.setting_options) {
    if (option->count() > 0 && owner == cmd) {
      w.flags.settings.emplace_back(key, w.setting_values[cmd->get_name() + key]);
    }
  }
}

void wire_sim_flags(CLI::App* sim, SimWiring& w) {
  SimConfig& c = w.config;
  FaultRates& f = c.faults;
  sim->add_option("--port", c.port, "Port; 0 picks a free one and prints it")->capture_default_str();
  sim->add_option("--port-file", w.port_file, "Write the port to this file once listening");
  sim->add_option("--keys", w.keys,
                  "Comma-separated API keys the simulator accepts: KEY, or NAME:KEY[:RPM:CONCURRENT[:CREDITS]] for a "
                  "named key with caps and credits of its own")
      ->capture_default_str();
  sim->add_option("--revoked", w.revoked, "Comma-separated NAMEs of --keys that answer 401, as a revoked key does");
  sim->add_option("--credits", c.credits, "USD of credit per key (unless its --keys entry says)")
      ->capture_default_str();
  sim->add_option("--plan", w.plan, "The API plan's caps: pro (60 rpm, 10 tasks) or free (10 rpm, 3 tasks)")
      ->capture_default_str()
      ->check(CLI::IsMember(sim_plan_names()));
  sim->add_option("--rpm", w.rpm, "Requests per rolling minute, per key (default: the plan's; a --keys entry's own)")
      ->check(CLI::PositiveNumber);
  sim->add_option("--concurrency", w.concurrency,
                  "Tasks pending or processing, per key (default: the plan's; a --keys entry's own)")
      ->check(CLI::PositiveNumber);
  sim->add_option("--time-scale", c.time_scale, "Multiply every duration and the rate window")
      ->capture_default_str()
      ->check(CLI::Range(0.0001, 100.0));
  sim->add_option("--seed", c.seed, "Seed for render times and faults")->capture_default_str();
  sim->add_option("--mean-render", c.mean_render_seconds, "Mean seconds to render an 8 s 720p video")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  sim->add_option("--reject-word", c.reject_word, "Prompt word rejected at submit (CONTENT_VIOLATION)")
      ->capture_default_str();
  sim->add_option("--violation-word", c.violation_word, "Prompt word whose task fails with CONTENT_VIOLATION")
      ->capture_default_str();
  sim->add_option("--bad-image-word", c.bad_image_word, "Image URL word whose task fails with INVALID_IMAGE_URL")
      ->capture_default_str();
  sim->add_option("--url-ttl", c.url_ttl_seconds, "Seconds a result URL stays valid (scaled)")->capture_default_str();
  sim->add_option("--faults", w.faults, "Chance per request of some fault, spread over every kind")
      ->check(CLI::Range(0.0, 1.0));
  sim->add_option("--fault-5xx", f.server_error, "Chance of a 502 HTML page")->check(CLI::Range(0.0, 1.0));
  sim->add_option("--fault-drop-before", f.drop_before, "Chance of closing before acting")->check(CLI::Range(0.0, 1.0));
  sim->add_option("--fault-drop-after", f.drop_after, "Chance of closing after creating a task")
      ->check(CLI::Range(0.0, 1.0));
  SimLatencyConfig& l = c.latency;
  sim->add_option("--latency-ms", l.latency_ms, "Milliseconds every API answer takes (scaled)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 3'600'000.0));
  sim->add_option("--slow-rate,--fault-slow", l.slow_rate, "Share of API answers that take --slow-seconds")
      ->check(CLI::Range(0.0, 1.0));
  sim->add_option("--slow-seconds", l.slow_seconds, "Seconds a slow answer takes (scaled)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 86'400.0));
  sim->add_option("--fault-truncate", f.truncate, "Chance of a truncated download")->check(CLI::Range(0.0, 1.0));
  sim->add_option("--fault-429", f.burst_429, "Chance of starting a burst of 429s")->check(CLI::Range(0.0, 1.0));
  sim->add_option("--fault-callback-lost", f.callback_lost, "Chance a task's callback is never delivered")
      ->check(CLI::Range(0.0, 1.0));
  sim->add_option("--fault-callback-late", f.callback_late, "Chance a task's callback comes 30-120 s late (scaled)")
      ->check(CLI::Range(0.0, 1.0));
  sim->add_option("--fault-callback-twice", f.callback_twice, "Chance a task's callback is delivered twice")
      ->check(CLI::Range(0.0, 1.0));
  sim->add_option("--ledger", c.ledger_path, "Append every request to this file as a JSON line");
  sim->add_option("--state", c.state_path,
                  "Keep tasks, credits and counts in this file, so a simulator started again still knows them");
  sim->add_option_function<std::string>(
         "--hostile", [&c](const std::string& name) { c.hostile = *parse_sim_hostile(name); },
         "One hostile answer about the first task or request (docs/reliability.md)")
      ->check(CLI::IsMember(sim_hostile_names()));
}

Result<SimConfig> finish_sim_config(SimWiring& w) {
  SimConfig c = w.config;
  auto keys = parse_sim_keys(w.keys);
  if (!keys) {
    return keys.error();
  }
  c.keys = std::move(*keys);
  if (auto st = revoke_sim_keys(c.keys, w.revoked); !st) {
    return st.error();
  }
  SimPlanCaps caps = *sim_plan_caps(w.plan);
  c.rpm = w.rpm.value_or(caps.rpm);
  c.concurrency = w.concurrency.value_or(caps.concurrency);
  if (w.faults > 0) {
    FaultRates& f = c.faults;
    double each = w.faults / 6;
    f.server_error = f.drop_before = f.drop_after = f.truncate = f.burst_429 = each;
    c.latency.slow_rate = each;
    // Callbacks are few (one per task), so each of their faults gets the whole rate.
    f.callback_lost = f.callback_late = f.callback_twice = w.faults;
  }
  return c;
}

}  // namespace reelq
