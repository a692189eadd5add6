#include "manifest/variations.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <numeric>
#include <set>

namespace reelq {

namespace {

// The entries of the vary: that apply to `job`, in the order written, each a non-empty list.
std::vector<const YamlEntry*> varied_entries(const YamlNode& job, const YamlNode& defaults) {
  std::vector<const YamlEntry*> out;
  const YamlNode* vary = vary_of(job, defaults);
  if (!vary) {
    return out;
  }
  const bool own = job.find("vary") != nullptr;
  const auto& names = varied_field_names();
  for (const auto& e : vary->entries) {
    bool known = std::find(names.begin(), names.end(), e.key) != names.end();
    // A job that sets a field itself keeps it: the defaults' vary: is inherited like any default.
    bool pinned = !own && job.find(e.key) != nullptr;
    if (known && !pinned && e.value.kind == YamlKind::sequence && !e.value.items.empty()) {
      out.push_back(&e);
    }
  }
  return out;
}

// An id may hold letters, digits, '.', '_' and '-' only (the schema's id pattern).
std::string id_safe(std::string text) {
  for (char& c : text) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    c = ok ? c : '-';
  }
  return text;
}

YamlEntry entry(const std::string& key, const YamlNode& value) {
  return {key, value.pos, value};
}

}  // namespace

const std::vector<std::string>& varied_field_names() {
  // mode and takes are not among them: mode decides which other fields apply, and takes already
  // means "this job, N times".
  static const std::vector<std::string> k_names = {"prompt", "duration", "size", "resolution", "images"};
  return k_names;
}

const YamlNode* vary_of(const YamlNode& job, const YamlNode& defaults) {
  const YamlNode* v = job.find("vary");
  v = v ? v : defaults.find("vary");
  return v && v->kind == YamlKind::mapping ? v : nullptr;
}

std::uint64_t variation_count(const YamlNode& job, const YamlNode& defaults) {
  std::uint64_t n = 1;
  for (const YamlEntry* e : varied_entries(job, defaults)) {
    std::uint64_t k = e->value.items.size();
    n = n > std::numeric_limits<std::uint64_t>::max() / k ? std::numeric_limits<std::uint64_t>::max() : n * k;
  }
  return n;
}

std::string variation_suffix(const std::string& field, const YamlNode& value, size_t index) {
  if (field == "duration") {
    return id_safe("d" + value.text);
  }
  if (field == "size") {
    std::string s = value.text;
    std::replace(s.begin(), s.end(), '*', 'x');
    return id_safe(s);
  }
  if (field == "resolution") {
    return id_safe(value.text);
  }
  return fmt::format("{}{}", field == "prompt" ? "p" : "i", index + 1);  // long texts and paths: by position
}

std::vector<YamlNode> expand_variations(const YamlNode& job, const YamlNode& defaults, const std::string& id) {
  std::vector<const YamlEntry*> fields = varied_entries(job, defaults);
  if (!vary_of(job, defaults)) {
    return {job};
  }
  YamlNode base = job;
  std::erase_if(base.entries, [&](const YamlEntry& e) {
    return e.key == "vary" || e.key == "id" ||
           std::any_of(fields.begin(), fields.end(), [&](const YamlEntry* f) { return f->key == e.key; });
  });
  const YamlNode* id_node = job.find("id");
  std::vector<YamlNode> out;
  std::vector<size_t> at(fields.size(), 0);  // one digit per field, the first field the slowest
  std::set<std::string> made;
  // The id names the fields in one order whatever order they are written in: `{size, duration}`
  // for `{duration, size}` must not make new jobs that render (and pay for) the same again.
  std::vector<size_t> id_order(fields.size());
  std::iota(id_order.begin(), id_order.end(), 0);
  static const std::vector<std::string> k_id_order = {"duration", "size", "resolution", "prompt", "images"};
  auto rank = [&](size_t f) {
    return std::find(k_id_order.begin(), k_id_order.end(), fields[f]->key) - k_id_order.begin();
  };
  std::sort(id_order.begin(), id_order.end(), [&](size_t a, size_t b) { return rank(a) < rank(b); });
  for (;;) {
    YamlNode v = base;
    std::string variant_id = id;
    for (size_t f : id_order) {
      variant_id += "-" + variation_suffix(fields[f]->key, fields[f]->value.items[at[f]], at[f]);
    }
    for (size_t f = 0; f < fields.size(); ++f) {
      const YamlNode& value = fields[f]->value.items[at[f]];
      if (fields[f]->key == "images") {
        YamlNode list{YamlKind::sequence, value.pos, "", false, {value}, {}};
        v.entries.push_back(entry("images", list));
      } else {
        v.entries.push_back(entry(fields[f]->key, value));
      }
    }
    YamlNode id_value{YamlKind::scalar, id_node ? id_node->pos : job.pos, variant_id, false, {}, {}};
    v.entries.push_back(entry("id", id_value));
    // A value listed twice would make the same job twice: it is refused (at the value) and made once.
    if (made.insert(variant_id).second) {
      out.push_back(std::move(v));
    }
    size_t f = fields.size();
    while (f > 0 && ++at[f - 1] == fields[f - 1]->value.items.size()) {
      at[--f] = 0;
    }
    if (f == 0) {
      return out;
    }
  }
}

}  // namespace reelq
