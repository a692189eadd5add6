#include "deliver/delivery_name.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <optional>

namespace reelq {

namespace {

bool is_control(unsigned char c) {
  return c < 0x20 || c == 0x7f;
}

// The value of placeholder `name` for `f`, or nullopt for a name that is not one.
std::optional<std::string> field(std::string_view name, const NameFields& f) {
  if (name == "job") {
    return f.job;
  }
  if (name == "take") {
    return std::to_string(f.take);
  }
  if (name == "batch") {
    return f.batch;
  }
  if (name == "ext") {
    return f.ext;
  }
  if (name == "index") {
    return std::to_string(f.index);
  }
  return std::nullopt;
}

// Expands the template for `f`; `has_ext` is set when {ext} was used.
Result<std::string> expand(std::string_view t, const NameFields& f, bool& has_ext) {
  std::string out;
  for (size_t i = 0; i < t.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(t[i]);
    if (c == '/' || is_control(c)) {
      return Error{ErrorKind::usage, fmt::format("--name {:?}: a file name cannot hold {}", std::string(t),
                                                 c == '/' ? "'/'" : "a control character")};
    }
    if (c != '{') {
      out += t[i];
      continue;
    }
    size_t close = t.find('}', i);
    if (close == std::string_view::npos) {
      return Error{ErrorKind::usage, fmt::format("--name {:?}: the '{{' at column {} is not closed by a '}}'",
                                                 std::string(t), i + 1)};
    }
    std::string_view name = t.substr(i + 1, close - i - 1);
    auto value = field(name, f);
    if (!value) {
      return Error{ErrorKind::usage,
                   fmt::format("--name {:?}: unknown placeholder at column {}; the placeholders are {{job}} {{take}} "
                               "{{batch}} {{ext}} {{index}}",
                               std::string(t), i + 1)};
    }
    has_ext = has_ext || name == "ext";
    out += *value;
    i = close;
  }
  return out;
}

bool ends_with_nocase(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() &&
         std::equal(tail.begin(), tail.end(), s.end() - static_cast<std::ptrdiff_t>(tail.size()),
                    [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) ==
                                                std::tolower(static_cast<unsigned char>(b)); });
}

// A literal extension the template ends with that names a video container other than the
// results' own (.mp4): renaming a file does not convert it, and a player that trusts the name
// would be misled. Returns the extension, or empty.
std::string_view foreign_video_extension(std::string_view t) {
  for (std::string_view ext : {".mov", ".m4v", ".webm", ".mkv", ".avi", ".qt"}) {
    if (ends_with_nocase(t, ext)) {
      return t.substr(t.size() - ext.size());
    }
  }
  return {};
}

// What in a template makes names that break where deliveries go: a client's Windows machine or an
// exFAT drive refuses these characters, and a name starting with '-' reads as an option to the
// commands the client runs on it.
std::optional<std::string> unportable(std::string_view t) {
  if (size_t at = t.find_first_of("<>:\"\\|?*"); at != std::string_view::npos) {
    return fmt::format("holds {:?} (column {}), which Windows and exFAT drives do not allow in a file name; use '-' "
                       "or '_'",
                       t[at], at + 1);
  }
  if (t.starts_with('-')) {
    return std::string("starts with '-', which makes names that read as options to other commands; start it with "
                       "a placeholder or a letter");
  }
  if (t.starts_with(' ') || t.ends_with(' ')) {
    return std::string("starts or ends with a space, which Windows drops or refuses; remove it");
  }
  return std::nullopt;
}

}  // namespace

Status check_name_template(std::string_view name_template) {
  bool has_ext = false;
  auto expanded = expand(name_template, NameFields{"job", 1, "batch", ".mp4", 1}, has_ext);
  if (!expanded) {
    return expanded.error();
  }
  if (auto ext = foreign_video_extension(name_template); !ext.empty()) {
    return Error{ErrorKind::usage,
                 fmt::format("--name {:?} ends in {:?}, but the takes are MP4 files and a name does not convert "
                             "them; leave the extension out (reelq adds .mp4) or write {{ext}}",
                             std::string(name_template), std::string(ext))};
  }
  if (auto problem = unportable(name_template)) {
    return Error{ErrorKind::usage, fmt::format("--name {:?} {}", std::string(name_template), *problem)};
  }
  if (name_template.starts_with('.')) {
    return Error{ErrorKind::usage,
                 fmt::format("--name {:?} starts with '.', which makes hidden files that ls and most file "
                             "browsers do not show; start it with a placeholder or a letter",
                             std::string(name_template))};
  }
  if (name_template.find('{') == std::string_view::npos) {
    return Error{ErrorKind::usage,
                 fmt::format("--name {:?} has no placeholder: every file would get the same name (use {{job}} and "
                             "{{take}})",
                             std::string(name_template))};
  }
  return ok_status();
}

Result<std::string> delivery_name(std::string_view name_template, const NameFields& f) {
  bool has_ext = false;
  auto name = expand(name_template, f, has_ext);
  if (!name) {
    return name;
  }
  // '{job}-{take}.mp4' means the user wrote the extension themselves: not '.mp4.mp4'.
  if (!has_ext && !ends_with_nocase(*name, f.ext)) {
    *name += f.ext;
  }
  std::string why;
  // Without a '/', only "." and ".." could name anything but a file in DIR; ".." inside a name
  // ("v1..final-1.mp4", a valid job id) is an ordinary name.
  if (name->empty() || *name == "." || *name == "..") {
    why = "is empty or a folder's own name";
  } else if (name->starts_with('.')) {
    why = "starts with '.' (a hidden file)";
  } else if (name->find('/') != std::string::npos) {
    why = "holds '/'";
  } else if (std::any_of(name->begin(), name->end(),
                         [](char c) { return is_control(static_cast<unsigned char>(c)); })) {
    why = "holds a control character";
  } else if (*name == "delivery.csv") {
    why = "is the delivery's own list";
  }
  if (!why.empty()) {
    return Error{ErrorKind::input,
                 fmt::format("job {} take {}: the delivered name {:?} {}; nothing was delivered under it "
                             "(choose another --name)",
                             f.job, f.take, *name, why)};
  }
  return name;
}

}  // namespace reelq
