#include "api/request.h"
#include "manifest/job_input.h"

#include <doctest/doctest.h>

using namespace reelq;

TEST_CASE("text-to-video body matches the API page's example") {
  JobSpec spec;
  spec.prompt = "a cinematic tracking shot of a futuristic city with flying cars";
  spec.duration = 8;
  spec.size = "1280*720";
  CHECK(
      generate_body(input_json(spec), RequestType::async, "") ==
      R"({"request_type":"async","provider":"official","input":{"mode":"text-to-video",)"
      R"("prompt":"a cinematic tracking shot of a futuristic city with flying cars","duration":8,"size":"1280*720"}})");
}

TEST_CASE("image-to-video body with callback matches the API page's example") {
  JobSpec spec;
  spec.mode = Mode::image_to_video;
  spec.prompt = "make this image come alive with subtle motion";
  spec.duration = 12;
  spec.resolution = "1080p";
  spec.images = {"https://example.com/reference_image.jpg"};
  CHECK(generate_body(input_json(spec), RequestType::callback, "https://your-server.com/callback") ==
        R"({"request_type":"callback","callback_url":"https://your-server.com/callback","provider":"official",)"
        R"("input":{"mode":"image-to-video","prompt":"make this image come alive with subtle motion","duration":12,)"
        R"("resolution":"1080p","image_urls":["https://example.com/reference_image.jpg"]}})");
}

TEST_CASE("prompts are escaped as JSON") {
  JobSpec spec;
  spec.prompt = "say \"hi\"\n\\ 雨";
  spec.size = "1280*720";
  CHECK(input_json(spec) == R"({"mode":"text-to-video","prompt":"say \"hi\"\n\\ 雨","duration":8,"size":"1280*720"})");
}
