#include "sim/sim_server.h"

#include <Poco/DigestEngine.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/SHA2Engine.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "api/poco_transport.h"
#include "manifest/image_check.h"
#include "util/embedded.h"

namespace reelq {

namespace {

constexpr size_t k_max_body = 1 << 20;

bool is_loopback_host(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1" || host.starts_with("127.");
}

void drop_connection(Poco::Net::HTTPServerRequest& request) {
  try {
    static_cast<Poco::Net::HTTPServerRequestImpl&>(request).socket().shutdown();
  } catch (const Poco::Exception&) {
  }
}

class SimHandler final : public Poco::Net::HTTPRequestHandler {
 public:
  SimHandler(SimCore& core, const FaultRates& faults) : m_core(core), m_faults(faults) {}

  void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override {
    Poco::URI uri(request.getURI());
    SimRequest req;
    req.method = request.getMethod();
    req.path = uri.getPath();
    req.query = uri.getRawQuery();
    req.authorization = request.get("Authorization", "");
    std::string body;
    Poco::StreamCopier::copyToString(request.stream(), body, k_max_body);
    req.body = std::move(body);

    SimReply reply = m_core.handle(req);
    if (req.path == "/__sim/stats") {
      reply.body = m_core.stats_json();
    }
    if (reply.fault == SimFault::drop_before || reply.fault == SimFault::drop_after) {
      drop_connection(request);
      return;
    }
    if (reply.fault == SimFault::slow) {
      std::this_thread::sleep_for(std::chrono::duration<double>(m_faults.slow_seconds));
    }
    response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(reply.status));
    response.setContentType(reply.content_type);
    for (const auto& [k, v] : reply.headers) {
      response.set(k, v);
    }
    response.setContentLength(static_cast<std::streamsize>(reply.body.size()));
    std::ostream& out = response.send();
    if (reply.fault == SimFault::truncate) {
      out.write(reply.body.data(), static_cast<std::streamsize>(reply.body.size() / 2));
      out.flush();
      drop_connection(request);
      return;
    }
    out << reply.body;
  }

 private:
  SimCore& m_core;
  const FaultRates& m_faults;
};

class SimHandlerFactory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  SimHandlerFactory(SimCore& core, const FaultRates& faults) : m_core(core), m_faults(faults) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new SimHandler(m_core, m_faults);
  }

 private:
  SimCore& m_core;
  const FaultRates& m_faults;
};

}  // namespace

struct SimServer::Impl {
  SimConfig config;
  SimCore core;
  std::unique_ptr<HttpTransport> transport;  // for callbacks and image probes, loopback only
  std::unique_ptr<Poco::Net::HTTPServer> server;
  std::thread callback_thread;
  std::atomic<bool> stopping{false};
  int port = 0;

  explicit Impl(SimConfig c) : config(c), core(c, system_clock(), std::string(embedded::sim_result_mp4())) {
    TransportOptions options;
    options.user_agent = "apixo-sim-callback/1";
    options.connect_timeout_s = 5;
    // The real API wants an answer within 30 s; scaled like the rest, but never below 2 real
    // seconds, so a busy test machine is not taken for a slow receiver.
    options.read_timeout_s = std::max(2.0, 30 * c.time_scale);
    options.use_proxy_env = false;
    transport = make_poco_transport(options);
  }

  // Callbacks go only to this machine: the simulator never sends traffic anywhere else.
  void deliver_callbacks() {
    while (!stopping) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      for (const auto& d : core.due_callbacks()) {
        bool delivered = false;
        try {
          if (is_loopback_host(Poco::URI(d.url).getHost())) {
            HttpRequest req;
            req.method = "POST";
            req.url = d.url;
            req.headers.emplace_back("Content-Type", "application/json");
            req.body = d.body;
            HttpResponse r = transport->send(req);
            delivered = r.wire == WireOutcome::answered && r.status == 200;
          }
        } catch (const Poco::Exception&) {
        }
        core.callback_done(d, delivered);
      }
    }
  }

  std::optional<std::string> probe_image(const std::string& url) {
    try {
      Poco::URI uri(url);
      if (!is_loopback_host(uri.getHost()) || url.starts_with(fmt::format("http://127.0.0.1:{}/", port))) {
        return "";  // never fetched: only the bad-image word decides
      }
      HttpRequest req;
      req.url = url;
      HttpResponse r = transport->send(req);
      if (r.wire != WireOutcome::answered || r.status != 200 || sniff_image_format(r.body) == ImageFormat::unknown) {
        return std::nullopt;
      }
      Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
      sha.update(r.body);
      return Poco::DigestEngine::digestToHex(sha.digest());
    } catch (const Poco::Exception&) {
      return std::nullopt;
    }
  }
};

SimServer::SimServer(SimConfig config) : m_impl(std::make_unique<Impl>(std::move(config))) {}

SimServer::~SimServer() {
  stop();
}

Status SimServer::start() {
  try {
    Poco::Net::ServerSocket socket(
        Poco::Net::SocketAddress(m_impl->config.host, static_cast<Poco::UInt16>(m_impl->config.port)));
    m_impl->port = socket.address().port();
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(32);
    params->setMaxQueued(256);
    params->setKeepAlive(true);
    m_impl->core.set_public_base(base_url());
    m_impl->core.set_image_probe([this](const std::string& url) { return m_impl->probe_image(url); });
    m_impl->server = std::make_unique<Poco::Net::HTTPServer>(new SimHandlerFactory(m_impl->core, m_impl->config.faults),
                                                             socket, params);
    m_impl->server->start();
    m_impl->callback_thread = std::thread([this] { m_impl->deliver_callbacks(); });
  } catch (const Poco::Exception& e) {
    return Error{ErrorKind::io, fmt::format("sim cannot listen on {}:{}: {}", m_impl->config.host, m_impl->config.port,
                                            e.displayText())};
  }
  return ok_status();
}

void SimServer::stop() {
  if (!m_impl->server) {
    return;
  }
  m_impl->stopping = true;
  if (m_impl->callback_thread.joinable()) {
    m_impl->callback_thread.join();
  }
  m_impl->server->stopAll(true);
  m_impl->server.reset();
}

int SimServer::port() const {
  return m_impl->port;
}
std::string SimServer::base_url() const {
  return fmt::format("http://{}:{}", m_impl->config.host, m_impl->port);
}
SimCore& SimServer::core() {
  return m_impl->core;
}

}  // namespace reelq
