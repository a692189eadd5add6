#include "keys/key_secret.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "keys/keys_file.h"
#include "util/file_digest.h"
#include "util/text.h"

namespace reelq {

namespace fs = std::filesystem;

namespace {

constexpr const char* k_space = " \t\r\n";

// Trimmed as load_api_key trims (api/client.cc), so a key moved from --api-key-file into a pool
// reads the same.
std::string trimmed(const std::string& s) {
  size_t first = s.find_first_not_of(k_space);
  if (first == std::string::npos) {
    return "";
  }
  return s.substr(first, s.find_last_not_of(k_space) + 1 - first);
}

int non_empty_lines(const std::string& s) {
  int n = 0;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = std::min(s.find('\n', start), s.size());
    if (!trimmed(s.substr(start, end - start)).empty()) {
      ++n;
    }
    start = end + 1;
  }
  return n;
}

enum class Holder { variable, file };

// The checks a key's text passes wherever it came from.
SecretRead as_key(const std::string& raw, Holder holder) {
  const char* it = holder == Holder::file ? "the file" : "the variable";
  if (raw.find('\0') != std::string::npos) {
    return {"", fmt::format("holds NUL bytes; {} must hold only the key, as text: is it the right one?", it)};
  }
  if (int lines = non_empty_lines(raw); lines > 1) {
    return {"", fmt::format("holds {} non-empty lines; {} must hold only the key, on one line", lines, it)};
  }
  std::string key = trimmed(raw);
  if (key.empty()) {
    return {"", holder == Holder::file ? "is empty; put the key in it"
                                       : "is empty; set it to the key before running reelq"};
  }
  bool odd = std::any_of(key.begin(), key.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x21 || u == 0x7f;
  });
  if (odd) {
    return {"", "holds white space or control characters inside the key; a key is a single token"};
  }
  return {key, ""};
}

}  // namespace

SecretRead key_from_env_value(const std::optional<std::string>& value) {
  if (!value) {
    return {"", "is not set; set it to the key before running reelq"};
  }
  return as_key(*value, Holder::variable);
}

SecretRead key_from_file(const fs::path& path) {
  std::error_code ec;
  auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) {
    return {"", "not found"};
  }
  if (!fs::is_regular_file(status)) {
    return {"", "is not a regular file"};
  }
  // Refused before it is read: a key is a short token, so a big file is a file named by mistake.
  auto wrong_size = [](const std::string& size) {
    return SecretRead{"", fmt::format("is {}; a key file holds only the key (at most {} bytes): is it the right file?",
                                      size, k_max_key_file_bytes)};
  };
  if (auto size = fs::file_size(path, ec); !ec && size > k_max_key_file_bytes) {
    return wrong_size(fmt::format("{} bytes", size));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return {"", fmt::format("cannot be read: {}", std::strerror(errno))};
  }
  // No more than the cap even so: the file may grow while it is read.
  std::string raw(k_max_key_file_bytes + 1, '\0');
  in.read(raw.data(), static_cast<std::streamsize>(raw.size()));
  raw.resize(static_cast<size_t>(in.gcount()));
  if (raw.size() > k_max_key_file_bytes) {
    return wrong_size(fmt::format("over {} bytes", k_max_key_file_bytes));
  }
  return as_key(raw, Holder::file);
}

}  // namespace reelq
