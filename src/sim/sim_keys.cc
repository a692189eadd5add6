// `reelq sim --keys` and `--revoked` (declared in sim_config.h). No message here ever holds a
// key's text: an entry is named by its position and NAME, and a number that does not read is
// shown only when short (a long one may be a key put in the wrong place).
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <optional>

#include "sim/sim_config.h"

namespace reelq {

namespace {

constexpr size_t k_shown_chars = 10;

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t at = text.find(sep); at != std::string::npos; at = text.find(sep, start)) {
    parts.push_back(text.substr(start, at - start));
    start = at + 1;
  }
  parts.push_back(text.substr(start));
  return parts;
}

bool is_name(const std::string& s) {
  if (s.empty()) {
    return false;
  }
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

std::string got(const std::string& value) {
  if (value.size() > k_shown_chars) {
    return fmt::format("got {} characters, not shown", value.size());
  }
  return fmt::format("got \"{}\"", value);
}

std::optional<int> whole_from_1(const std::string& s) {
  if (s.empty() || s.size() > 9 || s.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  int n = std::stoi(s);
  return n >= 1 ? std::optional<int>(n) : std::nullopt;
}

std::optional<double> usd(const std::string& s) {
  try {
    size_t used = 0;
    double d = std::stod(s, &used);
    return used == s.size() && std::isfinite(d) && d >= 0 ? std::optional<double>(d) : std::nullopt;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

Error usage(std::string message) {
  return Error{ErrorKind::usage, std::move(message)};
}

// One NAME:KEY[:RPM:CONCURRENT[:CREDITS]] entry; `where` is "--keys entry N".
Result<SimKey> parse_named(const std::string& where, const std::vector<std::string>& parts) {
  SimKey k;
  if (!is_name(parts[0])) {
    return usage(fmt::format("{}: NAME must be letters, digits, '-', '_' or '.' ({})", where,
                             parts[0].empty() ? "it is empty" : got(parts[0])));
  }
  k.name = parts[0];
  const std::string at = fmt::format("{} ({})", where, k.name);
  if (parts.size() != 2 && parts.size() != 4 && parts.size() != 5) {
    return usage(
        fmt::format("{}: expected NAME:KEY:RPM:CONCURRENT[:CREDITS] or NAME:KEY, got {} parts", at, parts.size()));
  }
  k.key = parts[1];
  if (k.key.empty()) {
    return usage(fmt::format("{}: KEY is empty", at));
  }
  if (parts.size() == 2) {
    return k;
  }
  k.rpm = whole_from_1(parts[2]);
  if (!k.rpm) {
    return usage(fmt::format("{}: RPM must be a whole number from 1 ({})", at, got(parts[2])));
  }
  k.concurrency = whole_from_1(parts[3]);
  if (!k.concurrency) {
    return usage(fmt::format("{}: CONCURRENT must be a whole number from 1 ({})", at, got(parts[3])));
  }
  if (parts.size() == 5) {
    k.credits = usd(parts[4]);
    if (!k.credits) {
      return usage(fmt::format("{}: CREDITS must be a number of USD from 0 ({})", at, got(parts[4])));
    }
  }
  return k;
}

// Names and keys are unique: a key given twice could not tell which entry's caps a request meets.
Status check_unique(const std::vector<SimKey>& keys) {
  for (size_t i = 0; i < keys.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (sim_key_name(keys, i) == sim_key_name(keys, j)) {
        return usage(fmt::format("--keys entries {} and {} are both named {}", j + 1, i + 1, sim_key_name(keys, i)));
      }
      if (keys[i].key == keys[j].key) {
        return usage(fmt::format("--keys entries {} and {} ({} and {}) have the same KEY", j + 1, i + 1,
                                 sim_key_name(keys, j), sim_key_name(keys, i)));
      }
    }
  }
  return ok_status();
}

}  // namespace

std::string sim_key_name(const std::vector<SimKey>& keys, size_t index) {
  return keys[index].name.empty() ? fmt::format("key{}", index + 1) : keys[index].name;
}

Result<std::vector<SimKey>> parse_sim_keys(const std::string& text) {
  if (text.empty()) {
    return usage("--keys names no key");
  }
  std::vector<SimKey> keys;
  for (const std::string& entry : split(text, ',')) {
    const std::string where = fmt::format("--keys entry {}", keys.size() + 1);
    if (entry.empty()) {
      return usage(fmt::format("{} is empty", where));
    }
    if (entry.find(':') == std::string::npos) {
      keys.emplace_back(entry);  // a bare key, as before keys had names
      continue;
    }
    auto key = parse_named(where, split(entry, ':'));
    if (!key) {
      return key.error();
    }
    keys.push_back(std::move(*key));
  }
  if (auto st = check_unique(keys); !st) {
    return st.error();
  }
  return keys;
}

Status revoke_sim_keys(std::vector<SimKey>& keys, const std::string& names) {
  if (names.empty()) {
    return ok_status();
  }
  for (const std::string& name : split(names, ',')) {
    bool found = false;
    for (size_t i = 0; i < keys.size(); ++i) {
      if (sim_key_name(keys, i) == name) {
        keys[i].revoked = true;
        found = true;
      }
    }
    bool is_a_key = std::any_of(keys.begin(), keys.end(), [&](const SimKey& k) { return k.key == name; });
    if (is_a_key) {
      return usage("--revoked takes a key's NAME, not its KEY");
    }
    if (!found) {
      return usage(fmt::format("--revoked: no key named \"{}\" in --keys", name));
    }
  }
  return ok_status();
}

}  // namespace reelq
