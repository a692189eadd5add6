#pragma once
// The local reference images the listener may serve: an immutable table built before it starts,
// from the files the batch's manifest names (and nothing else). A request only ever looks a name
// up in it; no path is ever built from a request.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace reelq {

struct ServedImage {
  std::string name;          // the last segment of /img/TOKEN/NAME: [A-Za-z0-9._-] only
  std::string path;          // the absolute path the manifest named
  std::string content_type;  // image/jpeg, image/png or image/webp, from the file's content
};

class ImageTable {
 public:
  ImageTable() = default;
  // Re-checks each file (JPG/PNG/WebP by content, at most 10 MB) as validation did: it may have
  // changed since it was enqueued. `file_uris` are file:///absolute/path entries of job inputs.
  static Result<ImageTable> build(const std::vector<std::string>& file_uris);

  const ServedImage* find(std::string_view name) const;
  const std::vector<ServedImage>& images() const { return m_images; }
  bool empty() const { return m_images.empty(); }

  // file:// URI -> the URL the API is given: `base` (public URL + /img/TOKEN) + "/" + name.
  std::map<std::string, std::string> urls(const std::string& base) const;

 private:
  std::vector<ServedImage> m_images;
  std::map<std::string, std::string> m_uri_to_name;
};

// The served name of a file: the first 16 hex digits of SHA-256 of its path (so two files called
// ref.jpg in two folders differ, and a resumed run serves the same URL), a '-', and its file name
// with anything but [A-Za-z0-9._-] turned into '_'.
std::string served_image_name(const std::string& path);

// A job's input object with each local image URI replaced by its URL in `urls`; URIs not in the
// map are left as they are.
std::string with_image_urls(const std::string& input_json, const std::map<std::string, std::string>& urls);

}  // namespace reelq
