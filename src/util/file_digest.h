#pragma once
// A file's content as a fingerprint: what tells a moved or re-read file from a changed one.
#include <filesystem>
#include <string>

namespace reelq {

// Lowercase hex SHA-256 of a file's bytes, or "" when it cannot be read.
std::string file_sha256(const std::filesystem::path& path);

}  // namespace reelq
