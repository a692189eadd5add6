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
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "api/poco_transport.h"
#include "manifest/image_check.h"
#include "util/embedded.h"

namespace reelq {

namespace {

constexpr size_t k_max_body = 1 << 20;
// Connections served at once. Each keeps its thread while it is open (keep-alive) and while its
// answer is held back (--latency-ms, --slow-rate), so a slow answer must never leave the others
// waiting for a thread: reelq's run loop, its downloads, a benchmark's clients and a test's probes
// together stay well under this.
constexpr int k_threads = 128;

bool is_loopback_host(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1" || host.starts_with("127.");
}

void drop_connection(Poco::Net::HTTPServerRequest& request) {
  try {
    static_cast<Poco::Net::HTTPServerRequestImpl&>(request).socket().shutdown();
  } catch (const Poco::Exception&) {
  }
}

// Starts an outage of `seconds` (scaled); returns its length in real milliseconds.
using OutageStarter = std::function<std::int64_t(double seconds)>;

// The query's seconds=N, or a negative number when absent or bad.
double outage_seconds(const std::string& query) {
  for (const auto& [k, v] : Poco::URI("/?" + query).getQueryParameters()) {
    if (k == "seconds") {
      try {
        size_t used = 0;
        double s = std::stod(v, &used);
        return used == v.size() && s >= 0 && s <= 86400 ? s : -1;
      } catch (const std::exception&) {
        return -1;
      }
    }
  }
  return -1;
}

// The body, then zeros, until the client goes away or the server stops (the write then throws):
// no Content-Length, the connection closed at the end, as a stream of unknown length is sent.
void send_without_end(Poco::Net::HTTPServerResponse& response, const SimReply& reply) {
  response.setKeepAlive(false);
  bool trickle = reply.fault == SimFault::trickle;
  const size_t piece = trickle ? 4 : 64 * 1024;
  std::string zeros(piece, '\0');
  try {
    std::ostream& out = response.send();
    for (size_t sent = 0; out; sent += piece) {
      if (sent < reply.body.size()) {
        out.write(reply.body.data() + sent, static_cast<std::streamsize>(std::min(piece, reply.body.size() - sent)));
      } else {
        out.write(zeros.data(), static_cast<std::streamsize>(piece));
      }
      out.flush();
      if (trickle) {
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
      }
    }
  } catch (const Poco::Exception&) {
    // The client gave up: what this answer is for.
  }
}

class SimHandler final : public Poco::Net::HTTPRequestHandler {
 public:
  SimHandler(SimCore& core, OutageStarter outage) : m_core(core), m_outage(std::move(outage)) {}

  void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override {
    Poco::URI uri(request.getURI());
    if (uri.getPath() == "/__sim/outage") {
      answer_outage(request, response, uri.getRawQuery());
      return;
    }
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
    if (reply.delay_ms > 0) {
      // Only this connection's thread waits: the pool is large enough (k_threads) for the others.
      std::this_thread::sleep_for(std::chrono::milliseconds(reply.delay_ms));
    }
    if (reply.fault == SimFault::drop_before || reply.fault == SimFault::drop_after) {
      drop_connection(request);
      return;
    }
    response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(reply.status));
    response.setContentType(reply.content_type);
    for (const auto& [k, v] : reply.headers) {
      response.set(k, v);
    }
    if (reply.fault == SimFault::endless || reply.fault == SimFault::trickle) {
      send_without_end(response, reply);
      return;
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
  // POST /__sim/outage?seconds=N: answers, then the network goes away for N scaled seconds.
  void answer_outage(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
                     const std::string& query) {
    double seconds = outage_seconds(query);
    std::string body;
    if (request.getMethod() != "POST" || seconds < 0) {
      response.setStatus(Poco::Net::HTTPResponse::HTTP_BAD_REQUEST);
      body = R"x({"error":"POST /__sim/outage?seconds=N (0 to 86400, scaled)"})x";
    } else {
      body = fmt::format(R"({{"down_for_ms":{}}})", m_outage(seconds));
    }
    response.setContentType("application/json");
    response.setKeepAlive(false);
    response.setContentLength(static_cast<std::streamsize>(body.size()));
    response.send() << body;
  }

  SimCore& m_core;
  OutageStarter m_outage;
};

class SimHandlerFactory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  SimHandlerFactory(SimCore& core, OutageStarter outage) : m_core(core), m_outage(std::move(outage)) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new SimHandler(m_core, m_outage);
  }

 private:
  SimCore& m_core;
  OutageStarter m_outage;
};

}  // namespace

struct SimServer::Impl {
  SimConfig config;
  SimCore core;
  std::unique_ptr<HttpTransport> transport;  // for callbacks and image probes, loopback only
  // The server's own pool: Poco's default pool holds 16 threads, whatever setMaxThreads says.
  // Kept across outages; declared before `server`, so it outlives it.
  Poco::ThreadPool pool{2, k_threads};
  std::unique_ptr<Poco::Net::HTTPServer> server;
  std::optional<Poco::Net::ServerSocket> listener;  // the server's, shared: closing it refuses at once
  std::thread callback_thread;
  std::thread outage_thread;
  std::mutex server_mutex;  // `server` is replaced by an outage's thread
  std::atomic<bool> stopping{false};
  std::atomic<bool> in_outage{false};
  std::atomic<int> port{0};  // rewritten (to the same value) when an outage ends

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

  // Listens on `port` (0: any free one, then remembered) and serves. Throws Poco exceptions.
  void listen(SimServer& owner) {
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress(config.host, static_cast<Poco::UInt16>(port.load())));
    port = socket.address().port();
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(k_threads);
    params->setMaxQueued(256);
    params->setKeepAlive(true);
    OutageStarter outage = [&owner](double seconds) { return owner.begin_outage(seconds); };
    std::lock_guard lock(server_mutex);
    listener = socket;
    server = std::make_unique<Poco::Net::HTTPServer>(new SimHandlerFactory(core, outage), pool, socket, params);
    server->start();
  }

  // The outage itself: new connections are refused at once; connections already open may finish
  // what they carry for a moment, then are closed, so no answer is cut short by the outage's start.
  void run_outage(std::chrono::milliseconds length, SimServer& owner) {
    auto until = std::chrono::steady_clock::now() + length;
    {
      // Poco 1.11's stop() keeps the socket listening (the kernel would still complete
      // connections nobody answers): close it first, so a connect is refused at once.
      std::lock_guard lock(server_mutex);
      if (listener) {
        listener->close();
        listener.reset();
      }
      if (server) {
        server->stop();
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    {
      std::lock_guard lock(server_mutex);
      if (server) {
        server->stopAll(true);
        server.reset();
      }
    }
    while (!stopping && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!stopping) {
      try {
        listen(owner);
      } catch (const Poco::Exception&) {
        // The port was taken meanwhile: the outage simply never ends, as a test will notice.
      }
    }
    in_outage = false;
  }

  std::optional<std::string> probe_image(const std::string& url) {
    try {
      Poco::URI uri(url);
      if (!is_loopback_host(uri.getHost()) || url.starts_with(fmt::format("http://127.0.0.1:{}/", port.load()))) {
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
  if (auto st = m_impl->core.load_state(); !st) {
    return st;
  }
  try {
    m_impl->port = m_impl->config.port;
    m_impl->listen(*this);
    m_impl->core.set_public_base(base_url());
    m_impl->core.set_image_probe([this](const std::string& url) { return m_impl->probe_image(url); });
    m_impl->callback_thread = std::thread([this] { m_impl->deliver_callbacks(); });
  } catch (const Poco::Exception& e) {
    return Error{ErrorKind::io, fmt::format("sim cannot listen on {}:{}: {}", m_impl->config.host, m_impl->config.port,
                                            e.displayText())};
  }
  return ok_status();
}

std::int64_t SimServer::begin_outage(double seconds) {
  auto length = std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000 * m_impl->config.time_scale));
  if (m_impl->in_outage.exchange(true)) {
    return 0;  // one at a time
  }
  if (m_impl->outage_thread.joinable()) {
    m_impl->outage_thread.join();  // the previous one, long over
  }
  m_impl->outage_thread = std::thread([this, length] { m_impl->run_outage(length, *this); });
  return length.count();
}

void SimServer::stop() {
  if (m_impl->stopping.exchange(true)) {
    return;
  }
  if (m_impl->callback_thread.joinable()) {
    m_impl->callback_thread.join();
  }
  if (m_impl->outage_thread.joinable()) {
    m_impl->outage_thread.join();
  }
  std::lock_guard lock(m_impl->server_mutex);
  if (m_impl->server) {
    m_impl->server->stopAll(true);
    m_impl->server.reset();
  }
  m_impl->core.save_state();  // refunds and callbacks begun since the last task was created
}

int SimServer::port() const {
  return m_impl->port;
}
std::string SimServer::base_url() const {
  return fmt::format("http://{}:{}", m_impl->config.host, m_impl->port.load());
}
SimCore& SimServer::core() {
  return m_impl->core;
}

}  // namespace reelq
