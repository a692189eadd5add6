#include "keys/keys_file.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "api/client.h"
#include "keys/key_secret.h"
#include "manifest/yaml_tree.h"
#include "util/text.h"

namespace reelq {

namespace fs = std::filesystem;

namespace {

const std::vector<std::string> k_fields = {"name", "env", "file", "rpm", "max_concurrent"};
constexpr const char* k_example = "{name: studio-a, env: APIXO_KEY_A}";
constexpr const char* k_example_file = "keys: [{name: studio-a, env: APIXO_KEY_A}]";
constexpr size_t k_max_name = 64;

bool valid_name(const std::string& s) {
  return !s.empty() && s.size() <= k_max_name && s != "." && s != ".." && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

// A variable name as the shell writes one. Anything else is refused without being quoted: it may
// be the key itself pasted where its variable's name belongs.
bool valid_variable(const std::string& s) {
  return !s.empty() && s.size() <= 128 && !std::isdigit(static_cast<unsigned char>(s[0])) &&
         std::all_of(s.begin(), s.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

// A valid variable's name that looks more like a key than a name (long, lower case and digits):
// when it is not set, it is not quoted back, in case the key itself was pasted after env:.
bool looks_like_a_key(const std::string& s) {
  bool lower = std::any_of(s.begin(), s.end(), [](unsigned char c) { return std::islower(c); });
  bool digit = std::any_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
  return s.size() >= 12 && lower && digit;
}

std::string lowercase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// One entry as read, before its key is looked up.
struct Entry {
  const YamlNode* node = nullptr;
  std::string label;  // "key 'studio-a'", or "keys[2]" while the name is unusable
  std::string name;
  const YamlEntry* env = nullptr;
  const YamlEntry* file = nullptr;
  int rpm = 0;
  int max_concurrent = 0;
  bool usable = true;  // no problem found in the entry itself
};

class KeysParser {
 public:
  KeysParser(const KeysSource& source, const KeyDefaults& defaults, const GetenvFn& getenv_fn, Diagnostics& diags)
      : m_source(source), m_defaults(defaults), m_getenv(getenv_fn), m_diags(diags) {}

  KeysFileResult parse(const YamlNode& root);

 private:
  void fail(SourcePos pos, std::string message) { m_diags.push_back({m_source.display_name, pos, std::move(message)}); }
  void warn(SourcePos pos, std::string message) {
    m_warnings.push_back(Diagnostic{m_source.display_name, pos, std::move(message)}.to_string());
  }
  const YamlNode* keys_list(const YamlNode& root);
  Entry read_entry(const YamlNode& node, size_t index);
  void read_name(const YamlEntry& e, Entry& out);
  int read_cap(const YamlEntry* e, int fallback, int most, Entry& out);
  void check_source(Entry& out);
  std::optional<KeySpec> resolve(const Entry& entry);
  void check_unique(const std::vector<Entry>& entries, const std::vector<std::optional<KeySpec>>& specs);

  const KeysSource& m_source;
  const KeyDefaults& m_defaults;
  const GetenvFn& m_getenv;
  Diagnostics& m_diags;
  std::vector<std::string> m_warnings;
};

const YamlNode* KeysParser::keys_list(const YamlNode& root) {
  if (root.kind != YamlKind::mapping) {
    fail(root.pos, fmt::format("a keys file is a mapping with one list, keys:, such as {}", k_example_file));
    return nullptr;
  }
  for (const auto& e : root.entries) {
    if (e.key != "keys") {
      std::string near = nearest_word(e.key, {"keys"});
      fail(e.key_pos, near.empty() ? fmt::format("unknown key '{}'; a keys file holds only keys:", e.key)
                                   : fmt::format("unknown key '{}'; did you mean 'keys'?", e.key));
    }
  }
  const YamlNode* list = root.find("keys");
  if (!list) {
    fail(root.pos, fmt::format("missing keys:; list at least one key, such as {}", k_example_file));
    return nullptr;
  }
  if (list->kind != YamlKind::sequence || list->items.empty()) {
    // An empty value has no place of its own: point at its key.
    SourcePos at = list->pos;
    for (const auto& e : root.entries) {
      if (e.key == "keys" && list->kind == YamlKind::null) {
        at = e.key_pos;
      }
    }
    fail(at, fmt::format("keys: must be a list of at least one key, such as {}", k_example_file));
    return nullptr;
  }
  return list;
}

void KeysParser::read_name(const YamlEntry& e, Entry& out) {
  const YamlNode& v = e.value;
  if (v.kind != YamlKind::scalar || v.text.empty()) {
    fail(v.kind == YamlKind::null ? e.key_pos : v.pos,
         fmt::format("{}: name is empty; give it a name such as studio-a", out.label));
    out.usable = false;
    return;
  }
  if (!valid_name(v.text)) {
    // Not quoted: a name this wrong may be a key pasted in the wrong place.
    fail(v.pos, fmt::format("{}: a name has 1 to {} letters, digits, '.', '_' or '-' (such as studio-a)", out.label,
                            k_max_name));
    out.usable = false;
    return;
  }
  out.name = v.text;
  out.label = fmt::format("key '{}'", v.text);
}

// rpm or max_concurrent: a plain whole number from 1 to `most`.
int KeysParser::read_cap(const YamlEntry* e, int fallback, int most, Entry& out) {
  if (!e) {
    return fallback;
  }
  const YamlNode& v = e->value;
  std::string wanted = fmt::format("{} must be a whole number from 1 to {}", e->key, most);
  std::optional<long long> n = plain_integer(v);
  if (v.kind == YamlKind::scalar && !v.plain) {
    YamlNode unquoted = v;
    unquoted.plain = true;
    bool number = plain_integer(unquoted).has_value();
    fail(v.pos, number ? fmt::format("{}: {} (got the string \"{}\"); write it without quotes: {}: {}", out.label,
                                     wanted, v.text, e->key, v.text)
                       : fmt::format("{}: {} (got the string \"{}\")", out.label, wanted, v.text));
  } else if (v.kind != YamlKind::scalar) {
    fail(v.kind == YamlKind::null ? e->key_pos : v.pos,
         fmt::format("{}: {} (got {})", out.label, wanted, v.kind == YamlKind::null ? "nothing" : "a list or mapping"));
  } else if (!n) {
    fail(v.pos, fmt::format("{}: {} (got {})", out.label, wanted, v.text));
  } else if (*n < 1 || *n > most) {
    fail(v.pos, fmt::format("{}: {} (got {})", out.label, wanted, *n));
  } else {
    return static_cast<int>(*n);
  }
  out.usable = false;
  return 0;
}

void KeysParser::check_source(Entry& out) {
  if (!out.env && !out.file) {
    fail(out.node->pos, fmt::format("{}: say where the key is: env: VARIABLE or file: PATH", out.label));
    out.usable = false;
    return;
  }
  if (out.env && out.file) {
    // Entries point into one vector in document order: the later one is the one to remove.
    const YamlEntry* second = std::max(out.env, out.file);
    fail(second->key_pos, fmt::format("{}: both env: and file:; a key comes from one of them, keep one", out.label));
    out.usable = false;
    return;
  }
  const YamlEntry& e = out.env ? *out.env : *out.file;
  const char* example = out.env ? "a variable's name such as APIXO_KEY_A" : "a file's path such as keys/intern.key";
  if (e.value.kind == YamlKind::null || (e.value.kind == YamlKind::scalar && e.value.text.empty())) {
    fail(e.value.kind == YamlKind::null ? e.key_pos : e.value.pos,
         fmt::format("{}: {}: is empty; give {}", out.label, e.key, example));
    out.usable = false;
  } else if (e.value.kind != YamlKind::scalar) {
    fail(e.value.pos, fmt::format("{}: {}: must be {}, not a list or mapping", out.label, e.key, example));
    out.usable = false;
  } else if (out.env && !valid_variable(e.value.text)) {
    fail(e.value.pos, fmt::format("{}: env: names an environment variable (letters, digits and '_', such as "
                                  "APIXO_KEY_A); the key itself goes in that variable, never in this file",
                                  out.label));
    out.usable = false;
  }
}

Entry KeysParser::read_entry(const YamlNode& node, size_t index) {
  Entry out;
  out.node = &node;
  out.label = fmt::format("keys[{}]", index + 1);
  if (node.kind != YamlKind::mapping) {
    fail(node.pos, fmt::format("{}: each key is a mapping such as {}", out.label, k_example));
    out.usable = false;
    return out;
  }
  const YamlEntry* rpm = nullptr;
  const YamlEntry* concurrent = nullptr;
  const YamlEntry* name = nullptr;
  for (const auto& e : node.entries) {
    if (e.key == "name") {
      name = &e;
    } else if (e.key == "env") {
      out.env = &e;
    } else if (e.key == "file") {
      out.file = &e;
    } else if (e.key == "rpm") {
      rpm = &e;
    } else if (e.key == "max_concurrent") {
      concurrent = &e;
    }
  }
  if (name) {
    read_name(*name, out);
  } else {
    fail(node.pos, fmt::format("{}: missing name:; give each key a name such as studio-a", out.label));
    out.usable = false;
  }
  for (const auto& e : node.entries) {
    if (std::find(k_fields.begin(), k_fields.end(), e.key) == k_fields.end()) {
      std::string near = nearest_word(e.key, k_fields);
      fail(e.key_pos, near.empty() ? fmt::format("{}: unknown field '{}'; a key has name, env, file, rpm and "
                                                 "max_concurrent",
                                                 out.label, e.key)
                                   : fmt::format("{}: unknown field '{}'; did you mean '{}'?", out.label, e.key, near));
      out.usable = false;
    }
  }
  check_source(out);
  out.rpm = read_cap(rpm, m_defaults.rpm, k_max_key_rpm, out);
  out.max_concurrent = read_cap(concurrent, m_defaults.max_concurrent, k_max_key_concurrent, out);
  return out;
}

// Looks the key up; only for an entry without problems of its own, so a broken entry reads nothing.
std::optional<KeySpec> KeysParser::resolve(const Entry& entry) {
  const YamlEntry& where = entry.env ? *entry.env : *entry.file;
  const std::string& value = where.value.text;
  SecretRead read;
  std::string holder;
  if (entry.env) {
    std::optional<std::string> env_value = m_getenv(value);
    read = key_from_env_value(env_value);
    holder = !env_value && looks_like_a_key(value)
                 ? "the variable env: names (not quoted: it looks like a key; env: takes the variable's name, the "
                   "key goes in the variable)"
                 : fmt::format("variable {}", value);
  } else {
    // Named as the user would type it from where they started reelq.
    std::string shown = (fs::path(m_source.display_name).parent_path() / value).lexically_normal().string();
    read = key_from_file(m_source.base_dir / value);
    holder = fmt::format("file {}", shown);
    if (read.problem.empty() && !key_file_is_private((m_source.base_dir / value).string())) {
      warn(where.value.pos,
           fmt::format("{}: {} is readable by group or others; chmod 600 {}", entry.label, shown, shell_word(shown)));
    }
  }
  if (!read.problem.empty()) {
    fail(where.value.pos, fmt::format("{}: {} {}", entry.label, holder, read.problem));
    return std::nullopt;
  }
  KeySpec spec{entry.name, read.secret,          key_fingerprint(read.secret),
               entry.rpm,  entry.max_concurrent, fmt::format("{} {}", entry.env ? "env" : "file", value)};
  return spec;
}

// Two entries with one name, or one key under two names: the second would be driven past the
// caps the API keeps for the first (each entry gets its own slots).
void KeysParser::check_unique(const std::vector<Entry>& entries, const std::vector<std::optional<KeySpec>>& specs) {
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].name.empty()) {
      continue;
    }
    for (size_t j = 0; j < i; ++j) {
      if (!entries[j].name.empty() && lowercase(entries[j].name) == lowercase(entries[i].name)) {
        const YamlNode* name = entries[i].node->find("name");
        std::string as = entries[j].name == entries[i].name ? "" : fmt::format(" as '{}'", entries[j].name);
        fail(name->pos, fmt::format("name '{}' is already used{} at line {}; names must differ (in more than case)",
                                    entries[i].name, as, entries[j].node->find("name")->pos.line));
        break;
      }
    }
    for (size_t j = 0; j < i && specs[i]; ++j) {
      if (specs[j] && specs[j]->secret == specs[i]->secret) {
        const YamlEntry& where = entries[i].env ? *entries[i].env : *entries[i].file;
        fail(where.value.pos,
             fmt::format("{}: the same key as '{}' (line {}, fingerprint {}); a key listed twice "
                         "would be driven past its caps: list it once",
                         entries[i].label, specs[j]->name, entries[j].node->pos.line, specs[i]->fingerprint));
        break;
      }
    }
  }
}

KeysFileResult KeysParser::parse(const YamlNode& root) {
  KeysFileResult result;
  const YamlNode* list = keys_list(root);
  if (!list) {
    return result;
  }
  std::vector<Entry> entries;
  std::vector<std::optional<KeySpec>> specs;
  for (size_t i = 0; i < list->items.size(); ++i) {
    entries.push_back(read_entry(list->items[i], i));
    specs.push_back(entries.back().usable ? resolve(entries.back()) : std::nullopt);
  }
  check_unique(entries, specs);
  for (auto& spec : specs) {
    if (spec) {
      result.keys.push_back(std::move(*spec));
    }
  }
  result.warnings = std::move(m_warnings);
  return result;
}

// Defence in depth: whatever path a message took, a key read from the environment or a file is
// never shown (keys shorter than 4 characters are not worth a match: they would hide ordinary words).
void redact(std::string& text, const std::vector<std::string>& secrets) {
  for (const auto& s : secrets) {
    for (size_t at = s.size() >= 4 ? text.find(s) : std::string::npos; at != std::string::npos; at = text.find(s, at)) {
      text.replace(at, s.size(), "[key]");
    }
  }
}

Error input_error(const Diagnostics& diags) {
  return {ErrorKind::input, to_string(diags)};
}

}  // namespace

std::optional<std::string> process_getenv(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  return v ? std::optional<std::string>(v) : std::nullopt;
}

Result<KeysFileResult> parse_keys_file(std::string_view text, const KeysSource& source, const KeyDefaults& defaults,
                                       const GetenvFn& getenv_fn, Diagnostics* out) {
  Diagnostics local;
  Diagnostics& diags = out ? *out : local;
  size_t before = diags.size();
  YamlDocument doc = parse_yaml(text, source.display_name, diags);
  if (diags.size() > before) {
    return input_error({diags.begin() + static_cast<long>(before), diags.end()});
  }
  if (doc.empty || doc.root.kind == YamlKind::null) {
    diags.push_back({source.display_name,
                     {1, 1},
                     fmt::format("keys file is empty; it needs keys: with at least one "
                                 "key, such as {}",
                                 k_example_file)});
    return input_error({diags.begin() + static_cast<long>(before), diags.end()});
  }
  KeysParser parser(source, defaults, getenv_fn, diags);
  KeysFileResult result = parser.parse(doc.root);
  // In document order, whichever check found them.
  std::stable_sort(diags.begin() + static_cast<long>(before), diags.end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     return std::pair(a.pos.line, a.pos.col) < std::pair(b.pos.line, b.pos.col);
                   });
  std::vector<std::string> secrets;
  for (const auto& k : result.keys) {
    secrets.push_back(k.secret);
  }
  // A key used as a name would be stored with every submit and shown in every refusal: refused,
  // at the line that holds it (the message itself is redacted below).
  for (const auto& k : result.keys) {
    for (const auto& s : secrets) {
      if (s.size() >= 8 && k.name.find(s) != std::string::npos) {
        size_t at = text.find(k.name);
        SourcePos pos{1, 1};
        if (at != std::string_view::npos) {
          pos.line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(at), '\n'));
          size_t line_start = text.rfind('\n', at);
          pos.col = 1 + static_cast<int>(at - (line_start == std::string_view::npos ? 0 : line_start + 1));
        }
        diags.push_back({source.display_name, pos,
                         fmt::format("the name '{}' is a key itself; a name is a word such as studio-a, and the key "
                                     "goes in the variable or file the entry names",
                                     k.name)});
      }
    }
  }
  for (auto it = diags.begin() + static_cast<long>(before); it != diags.end(); ++it) {
    redact(it->message, secrets);
  }
  for (auto& w : result.warnings) {
    redact(w, secrets);
  }
  if (diags.size() > before) {
    return input_error({diags.begin() + static_cast<long>(before), diags.end()});
  }
  return result;
}

Result<KeysFileResult> load_keys_file(const fs::path& file, const KeyDefaults& defaults, const GetenvFn& getenv_fn,
                                      Diagnostics* diags) {
  auto refuse = [&](std::string why) -> Error {
    if (diags) {
      diags->push_back({file.string(), {}, why});
    }
    return Error{ErrorKind::input, Diagnostic{file.string(), {}, why}.to_string() + "\n"};
  };
  std::error_code ec;
  auto status = fs::status(file, ec);
  if (ec || !fs::exists(status)) {
    return refuse("not found; give the keys file's path (--keys FILE)");
  }
  if (!fs::is_regular_file(status)) {
    return refuse("is not a regular file; give the keys file's path (--keys FILE)");
  }
  if (auto size = fs::file_size(file, ec); !ec && size > k_max_keys_file_bytes) {
    return refuse(fmt::format("is {} bytes; a keys file is at most {} bytes: is it the right file?", size,
                              k_max_keys_file_bytes));
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return refuse(fmt::format("cannot be read: {}", std::strerror(errno)));
  }
  std::string text(k_max_keys_file_bytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > k_max_keys_file_bytes) {
    return refuse(
        fmt::format("is over {} bytes; a keys file is at most that: is it the right file?", k_max_keys_file_bytes));
  }
  KeysSource source{file.string(), fs::absolute(file, ec).parent_path()};
  auto result = parse_keys_file(text, source, defaults, getenv_fn, diags);
  if (result && !key_file_is_private(file.string())) {
    // The keys file holds no key, but it says where they are; kept private like the keys it names.
    result->warnings.insert(
        result->warnings.begin(),
        Diagnostic{
            file.string(), {}, fmt::format("readable by group or others; chmod 600 {}", shell_word(file.string()))}
            .to_string());
  }
  return result;
}

}  // namespace reelq
