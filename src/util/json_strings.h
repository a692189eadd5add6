#pragma once
// JSON arrays of strings, as the queue stores result URLs and reports print lists.
#include <string>
#include <vector>

namespace reelq {

// `["a","b"]` from the strings, escaped for JSON.
std::string json_string_array(const std::vector<std::string>& items);

// The strings of a JSON array; empty for "" or anything that is not an array of strings (stored
// values are written by json_string_array, so that means a damaged row, which must not stop a run
// or a report).
std::vector<std::string> parse_json_string_array(const std::string& json);

}  // namespace reelq
