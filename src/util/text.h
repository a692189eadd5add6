#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace reelq {

// The byte offset of the first invalid UTF-8 sequence in `s`, or npos when all of it is valid.
size_t find_invalid_utf8(std::string_view s);

// `s` as a JSON string literal, quotes included.
std::string json_quote(std::string_view s);

// The known word nearest to `word` by edit distance, or "" when none is near enough to suggest
// (manifest keys, commands, fail codes).
std::string nearest_word(std::string_view word, const std::vector<std::string>& known);

// "1 render", "3 renders": a count with its noun, plural by a trailing s.
std::string count_of(long long n, std::string_view noun);

// `path` as one shell word, for the commands reelq suggests (quoted only when it must be).
std::string shell_word(const std::string& path);

}  // namespace reelq
