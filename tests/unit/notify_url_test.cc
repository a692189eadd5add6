#include "cli/notify_url.h"

#include <doctest/doctest.h>

using namespace reelq;

namespace {

std::string refusal(const std::string& url) {
  auto t = parse_notify_url(url);
  REQUIRE_FALSE(t);
  CHECK(t.error().kind == ErrorKind::usage);
  return t.error().message;
}

}  // namespace

TEST_CASE("a --notify URL: http or https with a host; its origin is all a message may name") {
  auto t = parse_notify_url("https://hooks.chat.example/services/T0/B0/s3cretpath?x=1");
  REQUIRE(t);
  CHECK(t->url == "https://hooks.chat.example/services/T0/B0/s3cretpath?x=1");
  CHECK(t->origin == "https://hooks.chat.example");
  CHECK(t->authorization.empty());
  auto local = parse_notify_url("HTTP://127.0.0.1:8080");
  REQUIRE(local);
  CHECK(local->origin == "http://127.0.0.1:8080");
  CHECK(local->url == "http://127.0.0.1:8080");
  auto v6 = parse_notify_url("http://[::1]:9/h");
  REQUIRE(v6);
  CHECK(v6->origin == "http://[::1]:9");
}

TEST_CASE("a --notify URL's user:password@ becomes a Basic Authorization header, out of the URL") {
  auto t = parse_notify_url("https://night:p%40ss:w@hooks.example:8443/hook");
  REQUIRE(t);
  CHECK(t->url == "https://hooks.example:8443/hook");
  CHECK(t->origin == "https://hooks.example:8443");
  CHECK(t->authorization == "Basic bmlnaHQ6cEBzczp3");  // base64("night:p@ss:w")
  auto plain = parse_notify_url("http://user:pass@127.0.0.1/");
  REQUIRE(plain);
  CHECK(plain->authorization == "Basic dXNlcjpwYXNz");
}

TEST_CASE("a --notify URL that could never be POSTed to is refused, naming no path and no password") {
  const std::string tail = "; nothing was enqueued or sent";
  const std::string what = "--notify needs an http:// or https:// URL with a host";
  CHECK(refusal("hooks.example/T0KEN") == what + " (no scheme: it must start with https:// or http://)" + tail);
  CHECK(refusal("ftp://files.example/T0KEN") == what + " (got ftp://)" + tail);
  CHECK(refusal("mailto://me@example") == what + " (got mailto://)" + tail);
  CHECK(refusal("https:///T0KEN") == what + " (https:// without a host)" + tail);
  CHECK(refusal("https://user:s3cret@/T0KEN") == what + " (https:// without a host)" + tail);
  CHECK(refusal("http://host.example:80x/T0KEN") == what + " (http://host.example with a port that is not one)" + tail);
  CHECK(refusal("http://host.example:0/T0KEN") == what + " (http://host.example with a port that is not one)" + tail);
  CHECK(refusal("https://hooks.example/T0 KEN") == what + " (it holds a space or a control character)" + tail);
  CHECK(refusal("") == what + " (no scheme: it must start with https:// or http://)" + tail);
}

TEST_CASE("a network error's text loses the URL's path and credentials") {
  const std::string url = "https://u:s3cret@hooks.example/T0KEN";
  CHECK(without_secrets("bad URL: https://u:s3cret@hooks.example/T0KEN", url) == "bad URL: ...");
  CHECK(without_secrets("GET /T0KEN failed", url) == "GET ... failed");
  CHECK(without_secrets("login u:s3cret refused", url) == "login ... refused");
  CHECK(without_secrets("Connection refused", url) == "Connection refused");
}
