#pragma once
// The simulator's check of a generateTask body, as the real API's 400 answers word it.
#include <Poco/JSON/Object.h>

#include <string>

namespace reelq {

struct ParsedSubmit {
  std::string request_type = "async";
  std::string callback_url;
  std::string mode;
  std::string prompt;
  int duration = 0;
  std::string size;        // text-to-video
  std::string resolution;  // image-to-video
  std::vector<std::string> image_urls;
  std::string input_canonical;  // the input object re-serialised, to count identical submissions
};

// Parses and checks `body`; on a problem returns false and sets `error` to the text the API puts
// in data.error (e.g. "Missing required field: input.prompt").
bool parse_submit(const std::string& body, ParsedSubmit& out, std::string& error);

}  // namespace reelq
