#include "manifest/image_check.h"

#include <doctest/doctest.h>

#include "support/fakes.h"

using namespace reelq;
using namespace std::string_view_literals;

TEST_CASE("image formats are known by their signature") {
  CHECK(sniff_image_format("\xFF\xD8\xFF\xE0 rest") == ImageFormat::jpeg);
  CHECK(sniff_image_format("\x89PNG\r\n\x1A\n....") == ImageFormat::png);
  CHECK(sniff_image_format("RIFF\x10\0\0\0WEBPVP8 "sv) == ImageFormat::webp);
  CHECK(sniff_image_format("RIFF\x10\0\0\0WAVEfmt "sv) == ImageFormat::unknown);
  CHECK(sniff_image_format("GIF89a") == ImageFormat::unknown);
  CHECK(sniff_image_format("") == ImageFormat::unknown);
}

TEST_CASE("an image of exactly 10 MB is accepted; one byte more is not") {
  test::TempDir dir;
  test::write_file(dir / "a.webp", std::string("RIFF\x10\0\0\0WEBPVP8 ", 16));
  std::filesystem::resize_file(dir / "a.webp", k_max_image_bytes);
  CHECK(check_image("a.webp", dir.path()).problem == "");
  std::filesystem::resize_file(dir / "a.webp", k_max_image_bytes + 1);
  CHECK(check_image("a.webp", dir.path()).problem ==
        "image 'a.webp' is 10485761 bytes; the API takes at most 10 MB (10485760 bytes)");
}

TEST_CASE("URLs need http(s) and a host") {
  CHECK(check_image("https://example.com/a.jpg", ".").problem == "");
  CHECK(check_image("HTTP://example.com/a.jpg", ".").problem == "");
  CHECK(check_image("https:///a.jpg", ".").problem == "image 'https:///a.jpg' is a URL without a host");
  CHECK(check_image("file:///etc/passwd", ".").problem ==
        "image 'file:///etc/passwd' must be an http(s) URL or a local file");
}
