#include "util/json_strings.h"

#include <Poco/JSON/Parser.h>

#include "util/text.h"

namespace reelq {

std::string json_string_array(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    out += (i ? "," : "") + json_quote(items[i]);
  }
  return out + "]";
}

std::vector<std::string> parse_json_string_array(const std::string& json) {
  std::vector<std::string> out;
  if (json.empty()) {
    return out;
  }
  try {
    Poco::JSON::Parser p;
    auto arr = p.parse(json).extract<Poco::JSON::Array::Ptr>();
    for (size_t i = 0; i < arr->size(); ++i) {
      out.push_back(arr->getElement<std::string>(i));
    }
  } catch (const Poco::Exception&) {
    out.clear();
  }
  return out;
}

}  // namespace reelq
