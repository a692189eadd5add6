#include "listen/probe.h"

#include <fmt/format.h>

#include "listen/token.h"

namespace reelq {

namespace {

constexpr size_t k_shown_body = 60;

// The start of a body another server answered, on one line and printable, for the message.
std::string shown(const std::string& body) {
  std::string out;
  for (char c : body.substr(0, k_shown_body)) {
    unsigned char u = static_cast<unsigned char>(c);
    out += u < 0x20 || u == 0x7f ? ' ' : c;
  }
  return body.size() > k_shown_body ? out + "..." : out;
}

std::string what_came_back(const HttpResponse& r) {
  if (r.wire != WireOutcome::answered) {
    return fmt::format("failed: {}", r.error.empty() ? "no answer" : r.error);
  }
  if (r.status != 200) {
    return fmt::format("answered HTTP {}", r.status);
  }
  if (r.body.empty()) {
    return "answered HTTP 200 with an empty body, not this listener's answer";
  }
  return fmt::format("answered HTTP 200 with \"{}\", not this listener's answer (another server answers there)",
                     shown(r.body));
}

}  // namespace

ProbeSecret ProbeSecret::make() {
  return {make_listen_token(), make_listen_token()};
}

std::string probe_path(const std::string& token, const ProbeSecret& secret) {
  return "/probe/" + token + "/" + secret.challenge;
}

Status probe_public_url(HttpTransport& http, const std::string& public_url, const std::string& listen,
                        const std::string& token, const ProbeSecret& secret) {
  HttpRequest request;
  request.url = public_url + probe_path(token, secret);
  HttpResponse r = http.send(request);
  if (r.wire == WireOutcome::answered && r.status == 200 && r.body == secret.answer) {
    return ok_status();
  }
  return Error{ErrorKind::usage,
               fmt::format("--public-url {} does not reach this run's listener on {}: GET {}/probe/TOKEN/CHALLENGE {}",
                           public_url, listen, public_url, what_came_back(r))};
}

}  // namespace reelq
