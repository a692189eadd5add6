#include "listen/served_images.h"

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>
#include <fmt/format.h>

#include <filesystem>
#include <fstream>

#include "manifest/image_check.h"
#include "util/text.h"

namespace reelq {

namespace {

std::string content_type_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char head[12] = {};
  in.read(head, sizeof head);
  switch (sniff_image_format({head, static_cast<size_t>(in.gcount())})) {
    case ImageFormat::jpeg:
      return "image/jpeg";
    case ImageFormat::png:
      return "image/png";
    case ImageFormat::webp:
      return "image/webp";
    case ImageFormat::unknown:
      break;
  }
  return "";
}

}  // namespace

std::string served_image_name(const std::string& path) {
  Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
  sha.update(path);
  std::string name = Poco::DigestEngine::digestToHex(sha.digest()).substr(0, 16) + "-";
  for (char c : std::filesystem::path(path).filename().string()) {
    bool safe = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
    name += safe ? c : '_';
  }
  return name;
}

Result<ImageTable> ImageTable::build(const std::vector<std::string>& file_uris) {
  ImageTable t;
  for (const auto& uri : file_uris) {
    if (!uri.starts_with("file:///") || t.m_uri_to_name.contains(uri)) {
      continue;
    }
    std::string path = uri.substr(7);
    ImageCheck check = check_image(path, "/");
    if (!check.problem.empty()) {
      return Error{ErrorKind::usage, fmt::format("{} (named in the manifest; it must stay in place until its "
                                                 "job is submitted)",
                                                 check.problem)};
    }
    ServedImage img{served_image_name(path), path, content_type_of(path)};
    t.m_uri_to_name.emplace(uri, img.name);
    t.m_images.push_back(std::move(img));
  }
  return t;
}

const ServedImage* ImageTable::find(std::string_view name) const {
  for (const auto& img : m_images) {
    if (img.name == name) {
      return &img;
    }
  }
  return nullptr;
}

std::map<std::string, std::string> ImageTable::urls(const std::string& base) const {
  std::map<std::string, std::string> out;
  for (const auto& [uri, name] : m_uri_to_name) {
    out.emplace(uri, base + "/" + name);
  }
  return out;
}

std::string with_image_urls(const std::string& input_json, const std::map<std::string, std::string>& urls) {
  // The input is canonical JSON written by input_json(): each image is one quoted string, so a
  // quoted-string replacement is exact and cannot touch the prompt (whose quotes are escaped).
  std::string out = input_json;
  for (const auto& [uri, url] : urls) {
    std::string from = json_quote(uri);
    std::string to = json_quote(url);
    for (size_t at = out.find(from); at != std::string::npos; at = out.find(from, at + to.size())) {
      out.replace(at, from.size(), to);
    }
  }
  return out;
}

}  // namespace reelq
