#pragma once
// A file's content as a fingerprint: what tells a moved or re-read file from a changed one.
#include <filesystem>
#include <string>
#include <string_view>

namespace reelq {

// Lowercase hex SHA-256 of a file's bytes, or "" when it cannot be read.
std::string file_sha256(const std::filesystem::path& path);

// Lowercase hex SHA-256 of `bytes`.
std::string sha256_hex(std::string_view bytes);

}  // namespace reelq
