#include "settings.h"

#include <Poco/JSON/Parser.h>
#include <Poco/URI.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <string_view>

namespace reelq {

namespace {

Error bad(const std::string& source, const std::string& expected, const std::string& value) {
  return Error{ErrorKind::usage, fmt::format("{}: must be {} (got \"{}\")", source, expected, value)};
}

bool parse_number(const std::string& text, double& out) {
  try {
    size_t used = 0;
    out = std::stod(text, &used);
    return used == text.size() && std::isfinite(out);
  } catch (const std::exception&) {
    return false;
  }
}

Status set_int(int& field, const std::string& value, const std::string& source, int lo, int hi) {
  double v = 0;
  if (!parse_number(value, v) || v != static_cast<int>(v) || v < lo || v > hi) {
    return bad(source, fmt::format("a whole number from {} to {}", lo, hi), value);
  }
  field = static_cast<int>(v);
  return ok_status();
}

Status set_seconds(double& field, const std::string& value, const std::string& source, double lo, double hi) {
  double v = 0;
  if (!parse_number(value, v) || v < lo || v > hi) {
    return bad(source, fmt::format("a number from {} to {}", lo, hi), value);
  }
  field = v;
  return ok_status();
}

// HOST:PORT with a port from 0 (any free one) to 65535.
Status set_listen(std::string& field, const std::string& value, const std::string& source) {
  size_t colon = value.rfind(':');
  double port = 0;
  if (colon == std::string::npos || colon == 0 || !parse_number(value.substr(colon + 1), port) ||
      port != static_cast<int>(port) || port < 0 || port > 65535) {
    return bad(source, "HOST:PORT, e.g. 127.0.0.1:8787", value);
  }
  field = value;
  return ok_status();
}

}  // namespace

bool is_loopback_host(const std::string& url) {
  try {
    std::string host = Poco::URI(url).getHost();
    return host == "localhost" || host == "::1" ||
           (host.starts_with("127.") && host.find_first_not_of("0123456789.") == std::string::npos);
  } catch (const Poco::Exception&) {
    return false;
  }
}

std::optional<std::string> api_base_problem(const std::string& url) {
  if (!url.starts_with("http://") && !url.starts_with("https://")) {
    return "an http(s) URL";
  }
  // Every request carries `Authorization: Bearer KEY`: over plain http anyone on the way reads it.
  if (url.starts_with("http://") && !is_loopback_host(url)) {
    return "https:// (plain http only to this machine: localhost, 127.0.0.1 or [::1]; it would carry the API key "
           "unencrypted)";
  }
  return std::nullopt;
}

const std::vector<std::string>& setting_keys() {
  static const std::vector<std::string> k_keys = {"api_base",
                                                  "rpm",
                                                  "max_concurrent",
                                                  "poll_initial",
                                                  "poll_interval",
                                                  "output_dir",
                                                  "download_concurrency",
                                                  "max_download_mb",
                                                  "max_attempts",
                                                  "max_spend",
                                                  "on_ambiguous",
                                                  "request_type",
                                                  "time_scale",
                                                  "render_deadline",
                                                  "wait_for_credits",
                                                  "listen",
                                                  "public_url",
                                                  "tls_cert",
                                                  "tls_key",
                                                  "image_base_url"};
  return k_keys;
}

Status apply_setting(Settings& s, const std::string& key, const std::string& value, const std::string& source) {
  if (key == "api_base") {
    if (auto problem = api_base_problem(value)) {
      return bad(source, *problem, value);
    }
    s.api_base = value;
    // One spelling per API, so batches that used the same one compare equal (docs/scheduler.md).
    while (s.api_base.ends_with('/') && s.api_base.size() > std::string_view("https://").size()) {
      s.api_base.pop_back();
    }
  } else if (key == "rpm") {
    return set_int(s.rpm, value, source, 1, 10000);
  } else if (key == "max_concurrent") {
    return set_int(s.max_concurrent, value, source, 1, 1000);
  } else if (key == "download_concurrency") {
    return set_int(s.download_concurrency, value, source, 1, 64);
  } else if (key == "max_download_mb") {
    return set_int(s.max_download_mb, value, source, 1, 1 << 20);
  } else if (key == "max_attempts") {
    return set_int(s.max_attempts, value, source, 1, 100);
  } else if (key == "max_spend") {
    double cap = 0;
    if (auto st = set_seconds(cap, value, source, 0.01, 1e7); !st) {
      return bad(source, "an amount from 0.01 to 10000000 (USD, or the price table's currency)", value);
    }
    s.max_spend = cap;
  } else if (key == "poll_initial") {
    return set_seconds(s.poll_initial, value, source, 0, 86400);
  } else if (key == "poll_interval") {
    return set_seconds(s.poll_interval, value, source, 0.01, 86400);
  } else if (key == "wait_for_credits") {
    return set_seconds(s.wait_for_credits, value, source, 0, 7 * 86400);
  } else if (key == "render_deadline") {
    return set_seconds(s.render_deadline, value, source, 1, 7 * 86400);
  } else if (key == "time_scale") {
    return set_seconds(s.time_scale, value, source, 0.0001, 100);
  } else if (key == "output_dir") {
    if (value.empty()) {
      return bad(source, "a folder", value);
    }
    s.output_dir = value;
  } else if (key == "on_ambiguous") {
    if (value != "resubmit" && value != "hold") {
      return bad(source, "resubmit or hold", value);
    }
    s.on_ambiguous = value == "hold" ? OnAmbiguous::hold : OnAmbiguous::resubmit;
  } else if (key == "request_type") {
    if (value != "async" && value != "callback") {
      return bad(source, "async or callback", value);
    }
    s.request_type = value == "callback" ? RequestType::callback : RequestType::async;
  } else if (key == "listen") {
    return set_listen(s.listen, value, source);
  } else if (key == "public_url" || key == "image_base_url") {
    if (!value.starts_with("http://") && !value.starts_with("https://")) {
      return bad(source, "an http(s) URL", value);
    }
    (key == "public_url" ? s.public_url : s.image_base_url) = value;
  } else if (key == "tls_cert" || key == "tls_key") {
    if (value.empty()) {
      return bad(source, "a PEM file", value);
    }
    (key == "tls_cert" ? s.tls_cert : s.tls_key) = value;
  } else {
    return Error{ErrorKind::usage, fmt::format("{}: unknown setting", source)};
  }
  return ok_status();
}

Status apply_settings_json(Settings& s, const std::string& json, const std::string& source) {
  try {
    Poco::JSON::Parser parser;
    auto obj = parser.parse(json).extract<Poco::JSON::Object::Ptr>();
    for (const auto& key : setting_keys()) {
      if (obj->has(key)) {
        if (auto st = apply_setting(s, key, obj->get(key).toString(), fmt::format("{}settings.{}", source, key)); !st) {
          return st;
        }
      }
    }
  } catch (const Poco::Exception& e) {
    return Error{ErrorKind::storage, fmt::format("{}: stored settings are unreadable: {}", source, e.displayText())};
  }
  return ok_status();
}

namespace {

std::string env_name(const std::string& key) {
  std::string name = "REELQ_";
  for (char c : key) {
    name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return name;
}

bool env_sets(const std::string& key) {
  const char* v = std::getenv(env_name(key).c_str());
  return v && *v;
}

}  // namespace

std::string setting_flag(const std::string& key) {
  if (key == "request_type") {
    return "--mode";  // what the help and docs teach
  }
  std::string flag = "--" + key;
  std::replace(flag.begin(), flag.end(), '_', '-');
  return flag;
}

std::optional<std::string> named_api_base(const SettingFlags& flags) {
  Settings s;
  bool named = false;
  if (const char* env = std::getenv("REELQ_API_BASE"); env && *env) {
    named = static_cast<bool>(apply_setting(s, "api_base", env, "REELQ_API_BASE"));
  }
  for (const auto& [key, value] : flags) {
    if (key == "api_base") {
      named = static_cast<bool>(apply_setting(s, key, value, "--api-base"));
    }
  }
  return named ? std::optional<std::string>(s.api_base) : std::nullopt;
}

Status apply_settings_env(Settings& s) {
  for (const auto& key : setting_keys()) {
    std::string name = env_name(key);
    if (const char* v = std::getenv(name.c_str()); v && *v) {
      if (auto st = apply_setting(s, key, v, name); !st) {
        return st;
      }
    }
  }
  return ok_status();
}

}  // namespace reelq

namespace reelq {

namespace {

std::string absolute_from(const std::filesystem::path& base, const std::string& dir) {
  std::filesystem::path p(dir);
  return (p.is_absolute() ? p : base / p).lexically_normal().string();
}

}  // namespace

Result<Settings> resolve_settings(const SettingsLayers& layers) {
  namespace fs = std::filesystem;
  Settings s;
  // Resolved through symlinks ("../night" from a linked folder means what the kernel says): the
  // folder is stored with the batch and shown in every hint.
  std::error_code ec;
  // The folder of the manifest's own file, links resolved, as its queue's (cli/db_location.h): a
  // manifest linked in from elsewhere writes beside the file it links to, where its queue is.
  fs::path manifest_dir = fs::weakly_canonical(fs::path(layers.manifest_path), ec).parent_path();
  if (ec) {
    manifest_dir = fs::path(layers.manifest_path).parent_path().lexically_normal();
  }
  if (auto st = apply_settings_json(s, layers.manifest_settings_json, layers.manifest_path + ": "); !st) {
    return st.error();
  }
  // A manifest never chooses where the key goes (docs/manifest.md): one stored by an older reelq,
  // which accepted settings.api_base, is not followed.
  s.api_base = Settings{}.api_base;
  for (std::string* file : {&s.tls_cert, &s.tls_key}) {
    if (!file->empty()) {
      *file = absolute_from(manifest_dir, *file);
    }
  }
  const Settings before_remembered = s;
  if (auto st = apply_settings_json(s, layers.remembered_flags_json, "the flags of the batch's last run: "); !st) {
    return st.error();
  }
  // Kept in columns of their own (stored_on_its_own), never taken from the remembered flags, where a
  // database from elsewhere could name any host or folder.
  s.api_base = before_remembered.api_base;
  s.time_scale = before_remembered.time_scale;
  s.output_dir = before_remembered.output_dir;
  const std::string tls_cert = s.tls_cert;
  const std::string tls_key = s.tls_key;
  std::string dir = !layers.stored_output_dir.empty() ? layers.stored_output_dir
                    : !s.output_dir.empty()           ? absolute_from(manifest_dir, s.output_dir)
                                                      : (manifest_dir / "renders" / layers.batch).string();
  s.output_dir.clear();
  const double manifest_scale = s.time_scale;
  if (!layers.stored_api_base.empty()) {
    s.api_base = layers.stored_api_base;
    s.time_scale = layers.stored_time_scale > 0 ? layers.stored_time_scale : s.time_scale;
  }
  if (auto st = apply_settings_env(s); !st) {
    return st.error();
  }
  for (const auto& [key, value] : layers.flags) {
    if (auto st = apply_setting(s, key, value, setting_flag(key)); !st) {
      return st.error();
    }
  }
  if (s.tls_cert != tls_cert) {
    s.tls_cert = absolute_from(layers.cwd, s.tls_cert);
  }
  if (s.tls_key != tls_key) {
    s.tls_key = absolute_from(layers.cwd, s.tls_key);
  }
  s.output_dir_home = s.output_dir.empty() ? manifest_dir.string() : "";
  s.output_dir = s.output_dir.empty() ? dir : absolute_from(layers.cwd, s.output_dir);
  bool scale_given = std::getenv("REELQ_TIME_SCALE") && *std::getenv("REELQ_TIME_SCALE");
  for (const auto& [key, value] : layers.flags) {
    scale_given = scale_given || key == "time_scale";
  }
  if (!layers.stored_api_base.empty() && s.api_base != layers.stored_api_base && !scale_given) {
    s.time_scale = manifest_scale;
  }
  // The recorded API is checked like a given one: a database from an older reelq may hold any.
  if (auto problem = api_base_problem(s.api_base)) {
    return Error{ErrorKind::usage,
                 fmt::format("batch {}: the API base its last run recorded must be {} (got \"{}\"); give another with "
                             "--api-base",
                             layers.batch, *problem, s.api_base)};
  }
  return s;
}

}  // namespace reelq

namespace reelq {

namespace {

// Settings the batch keeps in columns of its own, with their own precedence.
bool stored_on_its_own(const std::string& key) {
  return key == "api_base" || key == "time_scale" || key == "output_dir";
}

// "12" and "12.00" are one amount; anything else is compared as written.
bool same_setting_value(const std::string& a, const std::string& b) {
  char* end_a = nullptr;
  char* end_b = nullptr;
  double x = std::strtod(a.c_str(), &end_a);
  double y = std::strtod(b.c_str(), &end_b);
  if (!a.empty() && !b.empty() && *end_a == '\0' && *end_b == '\0') {
    return x == y;
  }
  return a == b;
}

Poco::JSON::Object::Ptr parse_object(const std::string& json) {
  try {
    Poco::JSON::Parser parser;
    return parser.parse(json).extract<Poco::JSON::Object::Ptr>();
  } catch (const Poco::Exception&) {
    return new Poco::JSON::Object;  // unreadable: remembered nothing (resolve_settings reports it)
  }
}

}  // namespace

std::string merge_run_flags(const std::string& remembered_json, const SettingFlags& flags,
                            const std::filesystem::path& cwd) {
  Poco::JSON::Object::Ptr merged = parse_object(remembered_json);
  for (const auto& [key, value] : flags) {
    if (stored_on_its_own(key)) {
      continue;
    }
    // A path given relative to where this run was started means the same file from anywhere.
    bool path = key == "tls_cert" || key == "tls_key";
    merged->set(key, path ? absolute_from(cwd, value) : value);
  }
  std::ostringstream out;
  merged->stringify(out);
  return out.str();
}

std::string remembered_in_use(const std::string& remembered_json, const SettingFlags& flags,
                              const std::string& manifest_json) {
  Poco::JSON::Object::Ptr remembered = parse_object(remembered_json);
  Poco::JSON::Object::Ptr manifest = parse_object(manifest_json);
  std::string out;
  for (const auto& key : setting_keys()) {
    bool given = std::any_of(flags.begin(), flags.end(), [&](const auto& kv) { return kv.first == key; });
    if (!remembered->has(key) || stored_on_its_own(key) || given || env_sets(key)) {
      continue;
    }
    const std::string value = remembered->get(key).toString();
    out += fmt::format("{}{} {}", out.empty() ? "" : " ", setting_flag(key), value);
    if (manifest->has(key) && !same_setting_value(manifest->get(key).toString(), value)) {
      out += fmt::format(" (over the manifest's {}: {})", key, manifest->get(key).toString());
    }
  }
  return out;
}

}  // namespace reelq
