#include "sim/sim_validate.h"

#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <sstream>

namespace reelq {

using Poco::JSON::Object;

namespace {

bool get_string(const Object::Ptr& o, const std::string& key, std::string& out) {
  if (!o->has(key) || o->isNull(key) || !o->get(key).isString()) {
    return false;
  }
  out = o->get(key).extract<std::string>();
  return true;
}

bool one_of(const std::string& v, std::initializer_list<const char*> allowed) {
  for (const char* a : allowed) {
    if (v == a) {
      return true;
    }
  }
  return false;
}

bool check_input(const Object::Ptr& in, ParsedSubmit& out, std::string& error) {
  if (!get_string(in, "prompt", out.prompt) || out.prompt.empty()) {
    error = "Missing required field: input.prompt";
    return false;
  }
  if (!get_string(in, "mode", out.mode)) {
    out.mode = "text-to-video";
  }
  if (!one_of(out.mode, {"text-to-video", "image-to-video"})) {
    error = "input.mode must be text-to-video or image-to-video";
    return false;
  }
  if (!in->has("duration") || !in->get("duration").isInteger()) {
    error = "Missing required field: input.duration (4, 8 or 12 under provider=official)";
    return false;
  }
  out.duration = in->get("duration").convert<int>();
  if (out.duration != 4 && out.duration != 8 && out.duration != 12) {
    error = "input.duration must be 4, 8 or 12";
    return false;
  }
  if (out.mode == "text-to-video") {
    if (!get_string(in, "size", out.size)) {
      out.size = "1280*720";
    }
    if (!one_of(out.size, {"720*1280", "1280*720", "1024*1792", "1792*1024"})) {
      error = "input.size must be one of 720*1280, 1280*720, 1024*1792, 1792*1024";
      return false;
    }
    return true;
  }
  if (!get_string(in, "resolution", out.resolution)) {
    out.resolution = "720p";
  }
  if (!one_of(out.resolution, {"720p", "1080p"})) {
    error = "input.resolution must be 720p or 1080p";
    return false;
  }
  auto urls = in->getArray("image_urls");
  if (!urls || urls->size() == 0) {
    error = "Missing required field: input.image_urls";
    return false;
  }
  for (size_t i = 0; i < urls->size(); ++i) {
    if (!urls->get(i).isString()) {
      error = "input.image_urls must be a list of URLs";
      return false;
    }
    std::string url = urls->get(i).extract<std::string>();
    if (!url.starts_with("http://") && !url.starts_with("https://")) {
      error = "input.image_urls must be http(s) URLs";
      return false;
    }
    out.image_urls.push_back(url);
  }
  return true;
}

}  // namespace

bool parse_submit(const std::string& body, ParsedSubmit& out, std::string& error) {
  Object::Ptr root;
  try {
    Poco::JSON::Parser parser;
    auto v = parser.parse(body);
    if (v.type() == typeid(Object::Ptr)) {
      root = v.extract<Object::Ptr>();
    }
  } catch (const std::exception&) {  // Poco::Exception included: a body that is not JSON
  }
  if (!root) {
    error = "Request body is not a JSON object";
    return false;
  }
  std::string provider = "official";
  get_string(root, "provider", provider);
  if (provider != "official") {
    error = "provider must be official";
    return false;
  }
  get_string(root, "request_type", out.request_type);
  if (!one_of(out.request_type, {"async", "callback"})) {
    error = "request_type must be async or callback";
    return false;
  }
  if (out.request_type == "callback" &&
      (!get_string(root, "callback_url", out.callback_url) || out.callback_url.empty())) {
    error = "callback_url is required when request_type=callback";
    return false;
  }
  Object::Ptr in = root->getObject("input");
  if (!in) {
    error = "Missing required field: input";
    return false;
  }
  if (!check_input(in, out, error)) {
    return false;
  }
  std::ostringstream canonical;
  Poco::JSON::Stringifier::stringify(in, canonical);  // keys sorted: equal inputs give equal text
  out.input_canonical = canonical.str();
  return true;
}

}  // namespace reelq
