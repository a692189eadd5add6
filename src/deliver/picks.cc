#include "deliver/picks.h"

#include <fmt/format.h>

#include <fstream>
#include <map>
#include <sstream>

#include "manifest/yaml_tree.h"
#include "util/json_syntax.h"

namespace reelq {

namespace {

// JSON is YAML (flow style), and the YAML tree keeps every value's place for the error.
Error picks_error(const std::string& file, SourcePos pos, const std::string& message) {
  return Error{ErrorKind::input, Diagnostic{file, pos, message}.to_string() + "\n"};
}

bool is_null(const YamlNode& n) {
  return n.kind == YamlKind::scalar && n.plain && (n.text == "null" || n.text == "~" || n.text.empty());
}

bool is_string(const YamlNode& n) {
  return n.kind == YamlKind::scalar && !n.plain;
}

// One entry of "marks": the take it names and whether it is a keeper.
Result<std::pair<std::pair<std::string, int>, bool>> read_mark(const YamlNode& m, const std::string& file) {
  if (m.kind != YamlKind::mapping) {
    return picks_error(file, m.pos, "a mark must be an object {\"job\", \"take\", \"mark\"}");
  }
  const YamlNode* job = m.find("job");
  const YamlNode* take = m.find("take");
  const YamlNode* mark = m.find("mark");
  if (!job || !is_string(*job) || job->text.empty()) {
    return picks_error(file, job ? job->pos : m.pos, "a mark needs \"job\": the job id as a string");
  }
  std::optional<long long> n = take && take->plain ? plain_integer(*take) : std::nullopt;
  if (!n || *n < 1 || *n > 1'000'000) {
    return picks_error(file, take ? take->pos : m.pos, "a mark needs \"take\": a take number from 1");
  }
  if (!mark || !is_string(*mark) || (mark->text != "pick" && mark->text != "reject" && mark->text != "star")) {
    return picks_error(file, mark ? mark->pos : m.pos,
                       fmt::format("\"mark\" must be \"pick\", \"reject\" or \"star\"{}",
                                   mark ? fmt::format(" (got {})", mark->text) : ""));
  }
  return std::make_pair(std::make_pair(job->text, static_cast<int>(*n)), mark->text != "reject");
}

}  // namespace

Result<Picks> parse_picks(std::string_view text, const std::string& file) {
  // JSON first, strictly: the YAML tree below would take a stray CSV or a hand edit in YAML's
  // looser forms, and word its errors in YAML's terms, where a broken JSON file should be told so.
  if (auto bad = check_json_syntax(text)) {
    return picks_error(file, bad->pos,
                       "JSON syntax error: " + bad->message + "; --picks takes the review page's export (a JSON file)");
  }
  Diagnostics errors;
  YamlDocument doc = parse_yaml(text, file, errors);
  if (!errors.empty()) {
    return Error{ErrorKind::input, to_string(errors)};
  }
  const YamlNode& root = doc.root;
  if (doc.empty || root.kind != YamlKind::mapping) {
    return picks_error(file, root.pos,
                       "expected the review page's export: {\"version\":1,\"batch\":...,\"marks\":[...]}");
  }
  const YamlNode* version = root.find("version");
  if (!version || plain_integer(*version) != 1) {
    return picks_error(file, version ? version->pos : root.pos, "\"version\" must be 1 (an export of this reelq)");
  }
  Picks picks;
  if (const YamlNode* batch = root.find("batch"); batch && batch->kind != YamlKind::null && !is_null(*batch)) {
    if (!is_string(*batch)) {
      return picks_error(file, batch->pos, "\"batch\" must be a batch name or null");
    }
    picks.batch = batch->text;
  }
  if (const YamlNode* queue = root.find("queue"); queue && queue->kind != YamlKind::null && !is_null(*queue)) {
    if (!is_string(*queue)) {
      return picks_error(file, queue->pos, "\"queue\" must be a queue id or null");
    }
    picks.queue = queue->text;
  }
  const YamlNode* marks = root.find("marks");
  if (!marks || marks->kind != YamlKind::sequence) {
    return picks_error(file, marks ? marks->pos : root.pos, "\"marks\" must be a list");
  }
  std::map<std::pair<std::string, int>, bool> last;  // the page keeps one mark per take: the last
  for (const YamlNode& m : marks->items) {
    auto read = read_mark(m, file);
    if (!read) {
      return read.error();
    }
    last[read->first] = read->second;
  }
  for (const auto& [take, keep] : last) {
    if (keep) {
      picks.keepers.insert(take);
    }
  }
  return picks;
}

Result<Picks> load_picks(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error{ErrorKind::usage, fmt::format("cannot read the picks file {}", path)};
  }
  std::ostringstream s;
  s << in.rdbuf();
  return parse_picks(s.str(), path);
}

}  // namespace reelq
