#include "cli/option_values.h"

#include "queue/job_state.h"
#include "report/report_file.h"

#include <map>
#include <utility>

namespace reelq {

namespace {

constexpr std::string_view k_file = "FILE";
constexpr std::string_view k_folder = "DIR";
constexpr std::string_view k_command = "CMD";

std::vector<std::string> split(std::string_view text, char sep) {
  std::vector<std::string> parts;
  for (size_t start = 0;;) {
    size_t at = text.find(sep, start);
    parts.emplace_back(text.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) {
      return parts;
    }
    start = at + 1;
  }
}

std::string joined(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) {
    out += (out.empty() ? "" : "|") + w;
  }
  return out;
}

std::string states() {
  std::vector<std::string> words;
  for (JobState s : k_all_states) {
    words.emplace_back(to_string(s));
  }
  return joined(words);
}

std::string report_formats() {
  std::vector<std::string> words;
  for (ReportFormat f : {ReportFormat::csv, ReportFormat::json, ReportFormat::html}) {
    words.emplace_back(to_string(f));
  }
  return joined(words);
}

// The words of a CLI11 IsMember check as its description shows them ("TEXT:{pro,free}"), so a
// flag checked that way needs no entry below.
std::vector<std::string> member_words(const std::string& type) {
  size_t open = type.find(":{");
  size_t close = type.find('}', open == std::string::npos ? 0 : open);
  if (open == std::string::npos || close == std::string::npos) {
    return {};
  }
  return split(std::string_view(type).substr(open + 2, close - open - 2), ',');
}

// Keyed by the flag's first long name (or a positional's name); a command's own entry, keyed
// "command --flag", wins over the flag's (sim's --state is a file, report's a state).
const std::map<std::string, std::string>& value_names() {
  static const std::map<std::string, std::string> k_names = {
      {"manifest", std::string(k_file)},
      {"files", std::string(k_file)},
      {"db", std::string(k_file)},
      {"api-key-file", std::string(k_file)},
      {"keys", std::string(k_file)},
      {"ca-file", std::string(k_file)},
      {"prices", std::string(k_file)},
      {"output", std::string(k_file)},
      {"picks", std::string(k_file)},
      {"tls-cert", std::string(k_file)},
      {"tls-key", std::string(k_file)},
      {"port-file", std::string(k_file)},
      {"ledger", std::string(k_file)},
      {"sim state", std::string(k_file)},
      {"output-dir", std::string(k_folder)},
      {"to", std::string(k_folder)},
      {"on-finish", std::string(k_command)},
      {"notify", "URL"},
      {"api-base", "URL"},
      {"public-url", "URL"},
      {"image-base-url", "URL"},
      {"report state", states()},
      {"format", report_formats()},
      {"on-ambiguous", "resubmit|hold"},
      {"mode", "async|callback"},
  };
  return k_names;
}

std::string first_name(const CLI::Option& opt) {
  if (opt.get_positional()) {
    return opt.get_name();
  }
  return opt.get_lnames().empty() ? std::string() : opt.get_lnames().front();
}

}  // namespace

void label_option_values(CLI::App& app) {
  const auto& names = value_names();
  for (CLI::App* cmd : app.get_subcommands([](CLI::App*) { return true; })) {
    for (CLI::Option* opt : cmd->get_options()) {
      std::string name = first_name(*opt);
      auto own = names.find(cmd->get_name() + " " + name);
      auto any = own != names.end() ? own : names.find(name);
      if (any != names.end()) {
        opt->type_name(any->second);
      }
    }
  }
}

ValueKind value_kind(const CLI::Option& opt, std::vector<std::string>* choices) {
  if (opt.get_expected_max() == 0 || opt.get_type_size_max() == 0) {
    return ValueKind::none;
  }
  std::string type = opt.get_type_name();
  if (auto words = member_words(type); !words.empty()) {
    if (choices) {
      *choices = std::move(words);
    }
    return ValueKind::choice;
  }
  if (type == k_file) {
    return ValueKind::file;
  }
  if (type == k_folder) {
    return ValueKind::folder;
  }
  if (type == k_command) {
    return ValueKind::command;
  }
  if (type.find('|') == std::string::npos || type.find(':') != std::string::npos) {
    return ValueKind::other;
  }
  if (choices) {
    *choices = split(type, '|');
  }
  return ValueKind::choice;
}

}  // namespace reelq
