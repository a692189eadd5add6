#include "listen/router.h"

#include <Poco/JSON/Parser.h>
#include <fmt/format.h>

#include "listen/token.h"

namespace reelq {

namespace {

constexpr size_t k_max_task_id = 256;

bool printable(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string status_envelope_task_id(std::string_view body) {
  try {
    Poco::JSON::Parser parser;
    auto root = parser.parse(std::string(body)).extract<Poco::JSON::Object::Ptr>();
    if (!root || !root->has("code")) {
      return "";
    }
    auto data = root->getObject("data");
    if (!data || !data->has("taskId") || !data->get("taskId").isString() || !data->has("state") ||
        !data->get("state").isString()) {
      return "";
    }
    std::string id = data->getValue<std::string>("taskId");
    if (id.empty() || id.size() > k_max_task_id || !printable(id)) {
      return "";
    }
    return id;
  } catch (const std::exception&) {
    return "";
  }
}

Route ListenRouter::route(const RouteRequest& request) const {
  std::string_view path(request.target);
  path = path.substr(0, path.find('?'));
  if (path.starts_with("/cb/")) {
    if (request.method != "POST" || !same_token(path.substr(4), m_token)) {
      return {};
    }
    if (request.content_length > static_cast<long long>(k_max_callback_body)) {
      return {RouteKind::too_large, nullptr};
    }
    return {RouteKind::callback, nullptr};
  }
  if (path.starts_with("/probe/") && request.method == "GET" && !m_probe.challenge.empty()) {
    std::string_view rest = path.substr(7);
    size_t slash = rest.find('/');
    if (slash == std::string_view::npos || !same_token(rest.substr(0, slash), m_token) ||
        !same_token(rest.substr(slash + 1), m_probe.challenge)) {
      return {};
    }
    return {RouteKind::probe, nullptr};
  }
  if (path.starts_with("/img/") && (request.method == "GET" || request.method == "HEAD")) {
    std::string_view rest = path.substr(5);
    size_t slash = rest.find('/');
    if (slash == std::string_view::npos || !same_token(rest.substr(0, slash), m_token)) {
      return {};
    }
    const ServedImage* img = m_images.find(rest.substr(slash + 1));
    return img ? Route{RouteKind::image, img} : Route{};
  }
  return {};
}

int ListenRouter::accept_callback(std::string_view body, BoundedInbox& inbox) const {
  std::string task_id = status_envelope_task_id(body);
  if (task_id.empty()) {
    inbox.push_note(fmt::format("listener: refused a callback that is not a status envelope ({} bytes)", body.size()));
    return 400;
  }
  inbox.push_hint(task_id);
  return 200;
}

}  // namespace reelq
