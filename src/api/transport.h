#pragma once
// The HTTP seam: the API client and the downloader speak through HttpTransport, so tests replace
// the network with a scripted fake (tests/support/fake_transport.h).
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace reelq {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";
  std::string url;  // absolute http(s) URL
  Headers headers;  // besides Host, User-Agent and Content-Length, which the transport sets
  std::string body;
  // A numeric address to connect to instead of resolving the URL's host ("" = resolve it): the one
  // a result URL's name was checked against (api/resolver.h). The Host header, TLS's server name
  // and the certificate check still use the URL's host. Through a proxy the proxy resolves the
  // name, and this is not used.
  std::string connect_to;
};

// What became of a request on the wire. The difference between not_sent and no_answer is the
// difference between "safe to send again" and "the server may have acted on it".
enum class WireOutcome {
  answered,   // a complete HTTP response arrived (any status)
  not_sent,   // failed before the request could reach the server (DNS, refused, connect timeout)
  no_answer,  // the request went out, no complete answer came back (reset, read timeout, EOF)
  refused,    // reelq would not send it: the URL's host is one it does not fetch from
              // (api/resolver.h). Nothing was sent, and sending it later changes nothing.
};

struct HttpResponse {
  WireOutcome wire = WireOutcome::answered;
  int status = 0;
  Headers headers;
  std::string body;
  std::string error;  // for not_sent / no_answer / refused: what happened, for logs (never holds the key)

  // The first header with this name (case-insensitive), or "".
  std::string header(std::string_view name) const;
};

// Receives a response body in pieces, for downloads that should not sit in memory. Returns false
// to abort the transfer.
using BodySink = std::function<bool(const char* data, std::size_t size)>;

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // Sends one request and waits for the whole answer. Never throws.
  virtual HttpResponse send(const HttpRequest& request) = 0;
  // Like send, but hands the body to `sink` as it arrives; the returned body stays empty.
  virtual HttpResponse fetch(const HttpRequest& request, const BodySink& sink) = 0;
  // From any thread, on a stop: the exchanges under way end at once (a request already written is
  // no_answer, one still connecting not_sent) and every later one fails as not_sent without
  // leaving the machine. For good: a transport that was aborted is done. Give the API client a
  // transport of its own if downloads should outlive this. A transport that cannot hang: no-op.
  virtual void abort_calls() {}
};

}  // namespace reelq
