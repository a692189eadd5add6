#pragma once
// Reference images: an http(s) URL, or a local JPG, PNG or WebP of at most 10 MB.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace reelq {

inline constexpr std::uintmax_t k_max_image_bytes = 10u * 1024 * 1024;  // the API page's limit

enum class ImageFormat { unknown, jpeg, png, webp };

// The format by the file's first bytes (its signature), whatever its name says.
ImageFormat sniff_image_format(std::string_view head);

struct ImageCheck {
  std::string resolved;  // the URL as written, or file:///absolute/path for a local file
  std::string problem;   // "" when the image is usable; otherwise why not, as a sentence fragment
};

// Checks one `images` entry; relative paths are taken from `base_dir`. A local file must lie inside
// `base_dir` (links resolved): a manifest cannot make reelq send on a file from elsewhere.
ImageCheck check_image(const std::string& entry, const std::filesystem::path& base_dir);

}  // namespace reelq
