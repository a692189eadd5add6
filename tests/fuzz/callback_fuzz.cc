// libFuzzer target: one request at the callback listener -> ListenRouter (route, then
// accept_callback for a callback) and status_envelope_task_id, without a socket.
//
// The input is the request line and the body:
//   METHOD TARGET [CONTENT_LENGTH]
//   BODY
#include <cstdint>
#include <string>

#include "fuzz_check.h"
#include "listen/router.h"

using namespace reelq;
using reelq::fuzz::require;
using reelq::fuzz::take_line;
using reelq::fuzz::take_word;
using reelq::fuzz::to_number;

namespace {

// The seeds use this token, so the fuzzer starts from requests that get past it.
constexpr const char* k_token = "T0KEN";

bool printable(const std::string& s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const ImageTable k_no_images;
  static const ListenRouter k_router(k_token, k_no_images);
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string_view line = take_line(in);
  RouteRequest request;
  request.method = std::string(take_word(line));
  request.target = std::string(take_word(line));
  request.content_length = to_number(take_word(line), -1, 12);
  std::string_view body = in;

  Route route = k_router.route(request);
  require(route.kind != RouteKind::image, "no image is served from an empty table");
  if (route.kind == RouteKind::callback || route.kind == RouteKind::too_large) {
    require(request.method == "POST", "only a POST is a callback");
    std::string path = request.target.substr(0, request.target.find('?'));
    require(path == std::string("/cb/") + k_token, "only the token's path is a callback");
  }
  if (route.kind == RouteKind::callback) {
    BoundedInbox inbox;
    int status = k_router.accept_callback(body, inbox);
    InboxItems items = inbox.take();
    std::string id = status_envelope_task_id(body);
    require(status == 200 || status == 400, "a callback is answered 200 or 400");
    require((status == 200) == !id.empty(), "200 exactly when the body names a task");
    require(status != 200 || (items.hints.size() == 1 && items.hints[0] == id), "a 200 leaves one hint, its task");
    require(status != 400 || (items.hints.empty() && items.notes.size() == 1), "a 400 leaves a note, no hint");
  }
  std::string id = status_envelope_task_id(body);
  require(id.empty() || (id.size() <= 256 && printable(id)), "a hinted taskId is short and printable");
  return 0;
}
