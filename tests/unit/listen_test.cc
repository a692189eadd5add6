// The listener's parts without sockets: the token, the inbox, the router's decisions, the image
// table and the image_base_url check.
#include <doctest/doctest.h>

#include <set>

#include "listen/image_base.h"
#include "listen/inbox.h"
#include "listen/probe.h"
#include "listen/router.h"
#include "listen/served_images.h"
#include "listen/token.h"
#include "support/fake_transport.h"
#include "support/fakes.h"

using namespace reelq;

namespace {

std::string tiny_png() {
  return test::read_file(test::source_dir() / "tests/manifests/fixtures/tiny.png");
}

}  // namespace

TEST_CASE("listen tokens are 256 random bits as hex, and compare only when equal") {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    std::string t = make_listen_token();
    CHECK(t.size() == 64);
    CHECK(t.find_first_not_of("0123456789abcdef") == std::string::npos);
    seen.insert(t);
  }
  CHECK(seen.size() == 100);
  std::string t = make_listen_token();
  CHECK(same_token(t, t));
  CHECK_FALSE(same_token(t.substr(0, 63), t));
  CHECK_FALSE(same_token(t + "0", t));
  CHECK_FALSE(same_token("", t));
  CHECK_FALSE(same_token("", ""));  // an empty token never matches
  std::string other = t;
  other[40] = other[40] == 'a' ? 'b' : 'a';
  CHECK_FALSE(same_token(other, t));
}

TEST_CASE("the inbox keeps each hint once, is bounded, and counts the notes it drops") {
  BoundedInbox inbox;
  CHECK(inbox.push_hint("task_1"));
  CHECK(inbox.push_hint("task_1"));
  CHECK(inbox.push_hint("task_2"));
  auto items = inbox.take();
  CHECK(items.hints == std::vector<std::string>{"task_1", "task_2"});
  CHECK(inbox.take().hints.empty());
  for (size_t i = 0; i < BoundedInbox::k_max_hints; ++i) {
    REQUIRE(inbox.push_hint("t" + std::to_string(i)));
  }
  CHECK_FALSE(inbox.push_hint("one-too-many"));
  CHECK(inbox.take().hints.size() == BoundedInbox::k_max_hints);
  for (int i = 0; i < 150; ++i) {
    inbox.push_note("n");
  }
  items = inbox.take();
  CHECK(items.notes.size() == BoundedInbox::k_max_notes + 1);
  CHECK(items.notes.back() == "listener: 50 more refused requests not shown");
}

TEST_CASE("the router serves /cb/TOKEN and /img/TOKEN/NAME and nothing else, decoding nothing") {
  test::TempDir dir;
  test::write_file(dir / "refs/face.png", tiny_png());
  test::write_file(dir / "refs/secret.png", tiny_png());
  auto table = ImageTable::build({"file://" + (dir / "refs/face.png").string()});
  REQUIRE(table.ok());
  std::string token(64, 'a');
  ListenRouter router(token, *table);
  std::string name = served_image_name((dir / "refs/face.png").string());
  CHECK(router.route({"POST", "/cb/" + token, 100}).kind == RouteKind::callback);
  CHECK(router.route({"POST", "/cb/" + token + "?x=1", -1}).kind == RouteKind::callback);
  CHECK(router.route({"POST", "/cb/" + token, 1048577}).kind == RouteKind::too_large);
  Route img = router.route({"GET", "/img/" + token + "/" + name, -1});
  REQUIRE(img.kind == RouteKind::image);
  CHECK(img.image->content_type == "image/png");
  CHECK(router.route({"HEAD", "/img/" + token + "/" + name, -1}).kind == RouteKind::image);
  const std::vector<std::pair<std::string, std::string>> refused = {
      {"GET", "/cb/" + token},
      {"POST", "/cb/" + std::string(64, 'b')},
      {"POST", "/cb/" + token.substr(1)},
      {"POST", "/cb/" + token + "/"},
      {"POST", "/img/" + token + "/" + name},
      {"GET", "/img/" + std::string(64, 'b') + "/" + name},
      {"GET", "/img/" + token + "/../../etc/passwd"},
      {"GET", "/img/" + token + "/..%2f..%2fetc%2fpasswd"},
      {"GET", "/img/" + token + "/%252e%252e%252fetc%252fpasswd"},
      {"GET", "/img/" + token + "/" + name + "/"},
      {"GET", "/img/" + token + "/secret.png"},
      {"GET", "/img/" + token + "/" + name.substr(0, 17) + "secret.png"},
      {"GET", "/img/" + token},
      {"GET", "/"},
      {"DELETE", "/cb/" + token},
  };
  for (const auto& [method, target] : refused) {
    INFO(method << " " << target);
    CHECK(router.route({method, target, -1}).kind == RouteKind::not_found);
  }
}

TEST_CASE("a callback body must be a status envelope: otherwise 400 and a note, never a hint") {
  BoundedInbox inbox;
  ListenRouter router(std::string(64, 'a'), ImageTable{});
  CHECK(router.accept_callback(R"({"code":200,"message":"success","data":{"taskId":"task_1","state":"success"}})",
                               inbox) == 200);
  CHECK(router.accept_callback("not json", inbox) == 400);
  CHECK(router.accept_callback(R"({"code":200,"data":{"state":"success"}})", inbox) == 400);
  CHECK(router.accept_callback(R"({"code":200,"data":{"taskId":7,"state":"success"}})", inbox) == 400);
  CHECK(router.accept_callback(R"({"data":{"taskId":"t","state":"success"}})", inbox) == 400);
  CHECK(router.accept_callback(R"({"code":200,"data":{"taskId":"a\u0000b","state":"success"}})", inbox) == 400);
  CHECK(router.accept_callback(R"({"code":200,"data":{"taskId":")" + std::string(300, 'x') + R"(","state":"x"}})",
                               inbox) == 400);
  auto items = inbox.take();
  CHECK(items.hints == std::vector<std::string>{"task_1"});
  CHECK(items.notes.size() == 6);
  CHECK(items.notes[0] == "listener: refused a callback that is not a status envelope (8 bytes)");
}

TEST_CASE("the image table re-checks its files, names them stably, and rewrites inputs exactly") {
  test::TempDir dir;
  test::write_file(dir / "a b/face.png", tiny_png());
  test::write_file(dir / "fake.png", "not an image at all");
  std::string face = "file://" + (dir / "a b/face.png").string();
  auto bad = ImageTable::build({"file://" + (dir / "fake.png").string()});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.find("fake.png' is not a JPG, PNG or WebP image") != std::string::npos);
  auto gone = ImageTable::build({"file://" + (dir / "gone.png").string()});
  REQUIRE_FALSE(gone.ok());
  CHECK(gone.error().message.find("gone.png' not found") != std::string::npos);
  auto table = ImageTable::build({face, face});
  REQUIRE(table.ok());
  REQUIRE(table->images().size() == 1);
  std::string name = table->images()[0].name;
  CHECK(name.size() == 16 + 1 + 8);
  CHECK(name.ends_with("-face.png"));
  CHECK(name == served_image_name((dir / "a b/face.png").string()));
  CHECK(served_image_name("/x/we ird?.png").ends_with("-we_ird_.png"));
  auto urls = table->urls("https://t.example.com/img/TOK");
  std::string input = R"({"mode":"image-to-video","prompt":"say \")" + face + R"(\"","image_urls":[")" + face + "\"]}";
  std::string out = with_image_urls(input, urls);
  CHECK(out == R"({"mode":"image-to-video","prompt":"say \")" + face +
                   R"(\"","image_urls":["https://t.example.com/img/TOK/)" + name + "\"]}");
}

TEST_CASE("image_base_url: paths map under the base; a changed or unreachable copy names the file") {
  test::TempDir dir;
  test::write_file(dir / "refs/my face.png", tiny_png());
  test::write_file(dir / "refs/b.png", tiny_png());
  test::write_file(dir / "refs/c.png", tiny_png());
  CHECK(image_base_url_of(dir / "refs/my face.png", dir.path(), "https://cdn.example.com/r") ==
        "https://cdn.example.com/r/refs/my%20face.png");
  CHECK(image_base_url_of("/elsewhere/x.png", dir.path(), "https://cdn.example.com/r/").empty());
  test::FakeTransport cdn;
  cdn.answer(200, tiny_png());
  cdn.answer(200, tiny_png() + "changed");
  cdn.answer(404, "");
  auto checks = check_image_base({"file://" + (dir / "refs/my face.png").string(),
                                  "file://" + (dir / "refs/b.png").string(), "file://" + (dir / "refs/c.png").string()},
                                 dir.path(), "https://cdn.example.com/r/", cdn);
  REQUIRE(checks.size() == 3);
  CHECK(checks[0].problem.empty());
  CHECK(checks[0].url == "https://cdn.example.com/r/refs/my%20face.png");
  CHECK(checks[1].problem == "image " + (dir / "refs/b.png").string() +
                                 ": https://cdn.example.com/r/refs/b.png holds different bytes (SHA-256 differs); "
                                 "upload the file again");
  CHECK(checks[2].problem ==
        "image " + (dir / "refs/c.png").string() + ": https://cdn.example.com/r/refs/c.png is unreachable (HTTP 404)");
  CHECK(cdn.requests.size() == 3);
}

TEST_CASE("the probe path answers only this run's challenge under the batch's token, and only to GET") {
  std::string token(64, 'a');
  ProbeSecret secret{std::string(64, 'c'), std::string(64, 'd')};
  ListenRouter router(token, ImageTable{}, secret);
  CHECK(probe_path(token, secret) == "/probe/" + token + "/" + secret.challenge);
  CHECK(router.route({"GET", probe_path(token, secret), -1}).kind == RouteKind::probe);
  CHECK(router.probe_answer() == secret.answer);
  const std::vector<std::pair<std::string, std::string>> refused = {
      {"HEAD", probe_path(token, secret)},
      {"POST", probe_path(token, secret)},
      {"GET", "/probe/" + token + "/" + secret.answer},
      {"GET", "/probe/" + std::string(64, 'b') + "/" + secret.challenge},
      {"GET", "/probe/" + token + "/" + secret.challenge.substr(1)},
      {"GET", "/probe/" + token + "/"},
      {"GET", "/probe/" + token},
  };
  for (const auto& [method, target] : refused) {
    INFO(method << " " << target);
    CHECK(router.route({method, target, -1}).kind == RouteKind::not_found);
  }
  // Without a probe secret there is no probe path, even for an empty challenge.
  ListenRouter without(token, ImageTable{});
  CHECK(without.route({"GET", "/probe/" + token + "/", -1}).kind == RouteKind::not_found);
}

TEST_CASE("the public URL probe passes only on this listener's answer and says what came back otherwise") {
  ProbeSecret secret{"chal", "answer-1"};
  std::string token(64, 'a');
  test::FakeTransport http;
  http.answer(200, "answer-1");
  CHECK(probe_public_url(http, "https://tunnel.example", "127.0.0.1:8700", token, secret).ok());
  REQUIRE(http.requests.size() == 1);
  CHECK(http.requests[0].method == "GET");
  CHECK(http.requests[0].url == "https://tunnel.example/probe/" + token + "/chal");
  CHECK(http.requests[0].headers.empty());  // nothing but what the transport adds: no key, ever
  http.fail(WireOutcome::not_sent, "Connection refused");
  http.answer(404, "");
  http.answer(200, "<html>\n<body>It works!</body></html>");
  http.answer(200, "chal");  // an echo of the path's last segment is not the answer
  std::vector<std::string> messages;
  for (int i = 0; i < 4; ++i) {
    auto st = probe_public_url(http, "https://tunnel.example", "127.0.0.1:8700", token, secret);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().kind == ErrorKind::usage);
    CHECK(st.error().message.find(token) == std::string::npos);
    messages.push_back(st.error().message);
  }
  std::string head =
      "--public-url https://tunnel.example does not reach this run's listener on 127.0.0.1:8700: GET "
      "https://tunnel.example/probe/TOKEN/CHALLENGE ";
  CHECK(messages[0] == head + "failed: Connection refused");
  CHECK(messages[1] == head + "answered HTTP 404");
  CHECK(messages[2] == head +
                           "answered HTTP 200 with \"<html> <body>It works!</body></html>\", not this listener's "
                           "answer (another server answers there)");
  CHECK(messages[3] == head +
                           "answered HTTP 200 with \"chal\", not this listener's answer (another server answers "
                           "there)");
}
