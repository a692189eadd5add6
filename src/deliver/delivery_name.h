#pragma once
// The names `reelq deliver --name` gives delivered files: a template of placeholders, checked
// before anything is copied, so no job id, batch name or template can put a file outside the
// folder the user named.
#include <string>
#include <string_view>

#include "util/result.h"

namespace reelq {

// What one delivered file's name is made of.
struct NameFields {
  std::string job;
  int take = 1;
  std::string batch;
  std::string ext;  // the source file's extension with its dot (".mp4"), or ""
  int index = 1;    // the file's place among its take's results, from 1
};

// The default template: one file per take, named after its job and take.
constexpr std::string_view k_default_delivery_name = "{job}-{take}";

// Checks a template: only {job} {take} {batch} {ext} {index} and text without '/' or control
// characters. ErrorKind::usage, naming the placeholder or character.
Status check_name_template(std::string_view name_template);

// The file name for `f`: the template expanded, with the source's extension appended when the
// template has no {ext}. Refused (ErrorKind::input) when the result is empty, ".", holds "..", a
// '/' or a control character, or is delivery.csv: a name that could leave the folder or hide in it.
Result<std::string> delivery_name(std::string_view name_template, const NameFields& f);

}  // namespace reelq
