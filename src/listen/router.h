#pragma once
// What the listener answers, decided without the network (so tests need no sockets):
//   POST /cb/TOKEN         a status envelope -> 200, a hint in the inbox; anything else -> 400
//   GET|HEAD /img/TOKEN/N  a file of the image table -> 200 with its bytes
//   GET /probe/TOKEN/C     the run's probe challenge C -> 200 with its answer (listen/probe.h)
//   anything else          404 with an empty body, whatever was wrong (path, token, method)
// The raw request target is matched byte for byte: nothing is percent-decoded, so an encoded
// traversal is just a name that is not in the table.
#include <cstddef>
#include <string>
#include <string_view>

#include "listen/inbox.h"
#include "listen/probe.h"
#include "listen/served_images.h"

namespace reelq {

inline constexpr size_t k_max_callback_body = 1u << 20;  // 1 MB: larger bodies get 413

struct RouteRequest {
  std::string method;
  std::string target;             // as on the request line, query included
  long long content_length = -1;  // -1 = not given (chunked or none)
};

enum class RouteKind { not_found, too_large, callback, image, probe };

struct Route {
  RouteKind kind = RouteKind::not_found;
  const ServedImage* image = nullptr;  // RouteKind::image
};

class ListenRouter {
 public:
  // Without a probe secret (an empty challenge), /probe/ is not found like any other path.
  ListenRouter(std::string token, const ImageTable& images, ProbeSecret probe = {})
      : m_token(std::move(token)), m_images(images), m_probe(std::move(probe)) {}

  // From the request line and headers alone, before any body is read.
  Route route(const RouteRequest& request) const;

  // A callback's body: 200 with a hint pushed for a status envelope's data.taskId; 400 and a note
  // for anything else. Returns the HTTP status to answer.
  int accept_callback(std::string_view body, BoundedInbox& inbox) const;

  // The body of a RouteKind::probe answer.
  const std::string& probe_answer() const { return m_probe.answer; }

 private:
  std::string m_token;
  const ImageTable& m_images;
  ProbeSecret m_probe;
};

// data.taskId of a status envelope ({"code":..,"data":{"taskId":"..","state":".."}}), or "" when
// the body is not one. A taskId longer than 256 bytes or with control characters is not one.
std::string status_envelope_task_id(std::string_view body);

}  // namespace reelq
