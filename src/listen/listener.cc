#include "listen/listener.h"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <optional>

#include "listen/router.h"
#include "manifest/image_check.h"

namespace reelq {

namespace {

using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

void send_empty(HTTPServerResponse& response, int status) {
  response.setStatusAndReason(static_cast<HTTPResponse::HTTPStatus>(status));
  response.setContentLength(0);
  response.send();
}

// The body, or nullopt when it is longer than `limit` (the rest is never read).
std::optional<std::string> read_body(std::istream& in, size_t limit) {
  std::string body;
  char buf[16384];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    body.append(buf, static_cast<size_t>(in.gcount()));
    if (body.size() > limit) {
      return std::nullopt;
    }
  }
  return body;
}

void serve_image(const ServedImage& img, const std::string& method, HTTPServerResponse& response) {
  std::error_code ec;
  auto size = std::filesystem::file_size(img.path, ec);
  std::ifstream in(img.path, std::ios::binary);
  if (ec || !in || size > k_max_image_bytes) {
    send_empty(response, 404);  // gone or grown since the table was built: no detail either
    return;
  }
  response.setStatus(HTTPResponse::HTTP_OK);
  response.setContentType(img.content_type);
  response.setContentLength64(static_cast<Poco::Int64>(size));
  response.set("Cache-Control", "no-store");
  std::ostream& out = response.send();
  if (method == "HEAD") {
    return;
  }
  out << in.rdbuf();
}

class ListenHandler final : public Poco::Net::HTTPRequestHandler {
 public:
  ListenHandler(const ListenRouter& router, BoundedInbox& inbox) : m_router(router), m_inbox(inbox) {}

  void handleRequest(HTTPServerRequest& request, HTTPServerResponse& response) override {
    response.setKeepAlive(false);
    try {
      RouteRequest rr{request.getMethod(), request.getURI(),
                      request.hasContentLength() ? static_cast<long long>(request.getContentLength64()) : -1};
      Route route = m_router.route(rr);
      switch (route.kind) {
        case RouteKind::not_found:
          send_empty(response, 404);
          return;
        case RouteKind::too_large:
          send_empty(response, 413);
          return;
        case RouteKind::image:
          serve_image(*route.image, rr.method, response);
          return;
        case RouteKind::callback:
          break;
      }
      auto body = read_body(request.stream(), k_max_callback_body);
      if (body && rr.content_length >= 0 && body->size() != static_cast<size_t>(rr.content_length)) {
        return;  // cut short (a slow client timed out): nothing to answer, nothing to log
      }
      send_empty(response, body ? m_router.accept_callback(*body, m_inbox) : 413);
    } catch (const Poco::Exception&) {
      // A client that went away or was too slow: nothing to answer and nothing to keep.
    } catch (const std::exception&) {
    }
  }

 private:
  const ListenRouter& m_router;
  BoundedInbox& m_inbox;
};

class ListenHandlerFactory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  ListenHandlerFactory(const ListenRouter& router, BoundedInbox& inbox) : m_router(router), m_inbox(inbox) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const HTTPServerRequest&) override {
    return new ListenHandler(m_router, m_inbox);
  }

 private:
  const ListenRouter& m_router;
  BoundedInbox& m_inbox;
};

}  // namespace

struct Listener::Impl {
  ListenerOptions options;
  BoundedInbox& inbox;
  ListenRouter router;
  std::unique_ptr<Poco::Net::HTTPServer> server;
  int port = 0;

  Impl(ListenerOptions o, BoundedInbox& in) : options(std::move(o)), inbox(in), router(options.token, options.images) {}

  Poco::Net::ServerSocket bind() {
    Poco::Net::SocketAddress address(options.host, static_cast<Poco::UInt16>(options.port));
    if (options.tls_cert.empty() && options.tls_key.empty()) {
      return Poco::Net::ServerSocket(address, options.queue);
    }
    Poco::Net::Context::Ptr context = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, options.tls_key,
                                                             options.tls_cert, "", Poco::Net::Context::VERIFY_NONE);
    return Poco::Net::SecureServerSocket(address, options.queue, context);
  }
};

Listener::Listener(ListenerOptions options, BoundedInbox& inbox)
    : m_impl(std::make_unique<Impl>(std::move(options), inbox)) {}

Listener::~Listener() {
  stop();
}

Status Listener::start() {
  try {
    Poco::Net::ServerSocket socket = m_impl->bind();
    m_impl->port = socket.address().port();
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(m_impl->options.threads);
    params->setMaxQueued(m_impl->options.queue);
    params->setKeepAlive(false);
    params->setTimeout(Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(m_impl->options.timeout_s * 1e6)));
    m_impl->server = std::make_unique<Poco::Net::HTTPServer>(new ListenHandlerFactory(m_impl->router, m_impl->inbox),
                                                             socket, params);
    m_impl->server->start();
  } catch (const Poco::Exception& e) {
    return Error{ErrorKind::usage, fmt::format("cannot listen on {}:{}: {}", m_impl->options.host, m_impl->options.port,
                                               e.displayText())};
  }
  return ok_status();
}

void Listener::stop() {
  if (m_impl->server) {
    m_impl->server->stopAll(true);
    m_impl->server.reset();
  }
}

int Listener::port() const {
  return m_impl->port;
}

Result<std::pair<std::string, int>> parse_listen_address(const std::string& text) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return Error{ErrorKind::usage, fmt::format("--listen: must be HOST:PORT (got \"{}\")", text)};
  }
  std::string host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  int port = 0;
  try {
    port = std::stoi(text.substr(colon + 1));
  } catch (const std::exception&) {
    port = -1;
  }
  if (port < 0 || port > 65535) {
    return Error{ErrorKind::usage, fmt::format("--listen: must be HOST:PORT (got \"{}\")", text)};
  }
  return std::make_pair(host, port);
}

}  // namespace reelq
