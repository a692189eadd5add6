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

TEST_CASE("a local image must lie inside the manifest's folder, links resolved") {
  test::TempDir dir;
  std::string png = test::read_file(test::source_dir() / "tests/manifests/fixtures/tiny.png");
  test::write_file(dir / "in/refs/face.png", png);
  test::write_file(dir / "elsewhere.png", png);
  std::filesystem::create_symlink(dir / "in/refs/face.png", dir / "in/link-inside.png");
  std::filesystem::create_symlink(dir / "elsewhere.png", dir / "in/link-outside.png");
  std::filesystem::create_symlink(dir / "", dir / "in/refs/up");  // a linked folder leading out
  const auto in = dir / "in";
  const std::string rule =
      "a manifest names local images inside its own folder only (copy the file there, or give an http(s) URL)";
  CHECK(check_image("refs/face.png", in).problem == "");
  CHECK(check_image((in / "refs/face.png").string(), in).problem == "");  // absolute, but inside
  CHECK(check_image("link-inside.png", in).problem == "");
  CHECK(check_image("../elsewhere.png", in).problem ==
        "image '../elsewhere.png' is outside the manifest's folder: " + rule);
  CHECK(check_image("/etc/shadow", in).problem == "image '/etc/shadow' is outside the manifest's folder: " + rule);
  CHECK(check_image("link-outside.png", in).problem == "image 'link-outside.png' is a link to " +
                                                           (dir / "elsewhere.png").string() +
                                                           ", outside the manifest's folder: " + rule);
  CHECK(check_image("refs/up/elsewhere.png", in).problem == "image 'refs/up/elsewhere.png' is a link to " +
                                                                (dir / "elsewhere.png").string() +
                                                                ", outside the manifest's folder: " + rule);
  CHECK(check_image(".", in).problem == "image '.' is outside the manifest's folder: " + rule);
}
