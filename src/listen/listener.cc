#include "listen/listener.h"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerConnection.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/TCPServerConnectionFactory.h>
#include <Poco/Net/TCPServerDispatcher.h>
#include <Poco/ThreadPool.h>
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <optional>

#include "listen/accept_gate.h"
#include "listen/request_deadline.h"
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

// The connection this worker thread serves, watched until its request has arrived whole.
struct Watch {
  RequestDeadlines* deadlines = nullptr;
  std::uint64_t ticket = 0;
  void release() {
    if (deadlines && ticket) {
      deadlines->release(ticket);
      ticket = 0;
    }
  }
};
thread_local Watch t_watch;

// Poco's HTTP connection, with its request under the deadline from the moment a worker takes it.
class DeadlineConnection final : public Poco::Net::HTTPServerConnection {
 public:
  DeadlineConnection(const Poco::Net::StreamSocket& socket, Poco::Net::HTTPServerParams::Ptr params,
                     Poco::Net::HTTPRequestHandlerFactory::Ptr factory, RequestDeadlines& deadlines)
      : HTTPServerConnection(socket, params, factory), m_deadlines(deadlines) {}
  void run() override {
    t_watch = {&m_deadlines, m_deadlines.watch(socket())};
    HTTPServerConnection::run();
    t_watch.release();
  }

 private:
  RequestDeadlines& m_deadlines;
};

class DeadlineConnectionFactory final : public Poco::Net::TCPServerConnectionFactory {
 public:
  DeadlineConnectionFactory(Poco::Net::HTTPServerParams::Ptr params, Poco::Net::HTTPRequestHandlerFactory::Ptr factory,
                            RequestDeadlines& deadlines)
      : m_params(std::move(params)), m_factory(std::move(factory)), m_deadlines(deadlines) {}
  Poco::Net::TCPServerConnection* createConnection(const Poco::Net::StreamSocket& socket) override {
    return new DeadlineConnection(socket, m_params, m_factory, m_deadlines);
  }

 private:
  Poco::Net::HTTPServerParams::Ptr m_params;
  Poco::Net::HTTPRequestHandlerFactory::Ptr m_factory;
  RequestDeadlines& m_deadlines;
};

class ListenHandler final : public Poco::Net::HTTPRequestHandler {
 public:
  ListenHandler(const ListenRouter& router, BoundedInbox& inbox) : m_router(router), m_inbox(inbox) {}

  void handleRequest(HTTPServerRequest& request, HTTPServerResponse& response) override {
    response.setKeepAlive(false);
    try {
      RouteRequest rr{request.getMethod(), request.getURI(),
                      request.hasContentLength() ? static_cast<long long>(request.getContentLength64()) : -1};
      Route route = m_router.route(rr);
      if (route.kind != RouteKind::callback) {
        t_watch.release();  // the request has arrived (a body, if any, is never read)
      }
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
        case RouteKind::probe:
          response.setContentType("text/plain");
          response.set("Cache-Control", "no-store");
          response.sendBuffer(m_router.probe_answer().data(), m_router.probe_answer().size());
          return;
        case RouteKind::callback:
          break;
      }
      // A request with neither a length nor chunks has no body (RFC 9112, 6.3); Poco would read
      // one until the client closes, holding this thread for as long as the client likes.
      std::optional<std::string> body = std::string();
      if (rr.content_length >= 0 || request.getChunkedTransferEncoding()) {
        body = read_body(request.stream(), k_max_callback_body);
      }
      t_watch.release();
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
  RequestDeadlines deadlines;
  std::unique_ptr<Poco::ThreadPool> pool;
  // Poco's TCPServer hands every connection to a worker at accept; the gate hands over only those
  // that have sent something (accept_gate.h). The dispatcher is reference-counted: released in stop().
  Poco::Net::TCPServerDispatcher* dispatcher = nullptr;
  std::unique_ptr<AcceptGate> gate;
  int port = 0;

  Impl(ListenerOptions o, BoundedInbox& in)
      : options(std::move(o)),
        inbox(in),
        router(options.token, options.images, options.probe),
        deadlines(std::chrono::milliseconds(static_cast<std::int64_t>(options.request_deadline_s * 1000))) {}

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
    Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(m_impl->options.threads);
    params->setMaxQueued(m_impl->options.queue);
    params->setKeepAlive(false);
    params->setTimeout(Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(m_impl->options.timeout_s * 1e6)));
    constexpr int k_stack_bytes = 256 * 1024;
    m_impl->pool = std::make_unique<Poco::ThreadPool>(1, m_impl->options.threads, 60, k_stack_bytes);
    Poco::Net::HTTPRequestHandlerFactory::Ptr handlers = new ListenHandlerFactory(m_impl->router, m_impl->inbox);
    m_impl->dispatcher = new Poco::Net::TCPServerDispatcher(
        new DeadlineConnectionFactory(params, handlers, m_impl->deadlines), *m_impl->pool, params);
    AcceptGate::Options gate;
    gate.first_bytes = std::chrono::milliseconds(static_cast<std::int64_t>(m_impl->options.first_bytes_s * 1000));
    gate.max_waiting = static_cast<std::size_t>(m_impl->options.max_waiting);
    m_impl->gate = std::make_unique<AcceptGate>(
        socket, gate, [d = m_impl->dispatcher](const Poco::Net::StreamSocket& s) { d->enqueue(s); });
    m_impl->gate->start();
  } catch (const Poco::Exception& e) {
    return Error{ErrorKind::usage, fmt::format("cannot listen on {}:{}: {}", m_impl->options.host, m_impl->options.port,
                                               e.displayText())};
  }
  return ok_status();
}

void Listener::stop() {
  if (m_impl->gate) {
    m_impl->gate->stop();          // no new connections; those still silent are closed
    m_impl->dispatcher->stop();    // none still queued for a worker is served
    m_impl->deadlines.shut_all();  // requests still arriving end now
    m_impl->pool->joinAll();       // answers being written finish (each write under timeout_s)
    m_impl->gate.reset();
    m_impl->dispatcher->release();
    m_impl->dispatcher = nullptr;
    m_impl->pool.reset();
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
