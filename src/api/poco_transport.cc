#include "api/poco_transport.h"

#include <Poco/Net/AcceptCertificateHandler.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/URI.h>
#include <fmt/format.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <istream>
#include <map>
#include <mutex>
#include <set>
#include <vector>

namespace reelq {

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && std::equal(k.begin(), k.end(), name.begin(),
                                              [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
      return v;
    }
  }
  return "";
}

namespace {

// An API answer is a small JSON envelope; a body beyond this is not one, and is not held in memory.
constexpr size_t k_max_answer_bytes = 4 * 1024 * 1024;

std::string env(const char* upper, const char* lower) {
  if (const char* v = std::getenv(upper); v && *v) {
    return v;
  }
  if (const char* v = std::getenv(lower); v && *v) {
    return v;
  }
  return "";
}

bool no_proxy_matches(const std::string& host) {
  std::string list = env("NO_PROXY", "no_proxy");
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(',', start);
    std::string item = list.substr(start, end == std::string::npos ? std::string::npos : end - start);
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (item == "*") {
      return true;
    }
    if (!item.empty()) {
      std::string suffix = item[0] == '.' ? item : "." + item;
      if (host == item || host == item.substr(item[0] == '.' ? 1 : 0) ||
          (host.size() > suffix.size() && host.ends_with(suffix))) {
        return true;
      }
    }
    if (end == std::string::npos) {
      break;
    }
    start = end + 1;
  }
  return false;
}

// Hands `sink` the body as it arrives, whatever is there at each read, until the end, an error or
// false from `sink`. A body trickling in is thus seen (and can be judged) byte by byte, rather than
// once a whole buffer has filled, which at a few bytes a second is never.
void read_body(std::istream& is, const std::function<bool(const char*, size_t)>& sink) {
  char buf[64 * 1024];
  while (is.peek() != std::char_traits<char>::eof()) {
    std::streamsize n = is.readsome(buf, sizeof buf);
    if (n <= 0) {
      is.read(buf, 1);
      n = is.gcount();
    }
    if (n <= 0 || !sink(buf, static_cast<size_t>(n))) {
      return;
    }
  }
}

// A session that can open its connection (TCP, proxy tunnel, TLS handshake) before any byte of the
// request is written. Whatever goes wrong there, the server cannot have seen the request: that is
// what makes "unreachable" safe to resend, even for a submit.
template <class Base>
class OpeningSession final : public Base {
 public:
  using Base::Base;
  // `address` (numeric, or "" to resolve the host as usual) is where the connection goes when no
  // proxy is in the way; TLS still names and verifies the session's host.
  void open(const std::string& address) {
    if (this->connected()) {
      return;
    }
    if (address.empty() || !this->getProxyHost().empty()) {
      this->reconnect();
      return;
    }
    m_pinned = true;
    this->connect(Poco::Net::SocketAddress(address, this->getPort()));
  }

 protected:
  // Poco reconnects inside sendRequest when its keep-alive timeout has passed since the session
  // was made; for a pinned session that would resolve the name a second time. Pinned sessions are
  // new or reused within k_idle_reuse, so there is nothing to reconnect for.
  bool mustReconnect() const override { return !m_pinned && Base::mustReconnect(); }

 private:
  bool m_pinned = false;
};

// An idle kept-alive connection the server has closed (or written to) since: reading it would give
// EOF at once. Sending on it would look like "sent, no answer", which is ambiguous for a submit.
bool closed_by_peer(Poco::Net::HTTPClientSession& s) {
  try {
    return !s.connected() || s.socket().poll(Poco::Timespan(0), Poco::Net::Socket::SELECT_READ);
  } catch (const Poco::Exception&) {
    return true;
  }
}

class PocoTransport final : public HttpTransport {
 public:
  explicit PocoTransport(TransportOptions options) : m_options(std::move(options)) {}

  HttpResponse send(const HttpRequest& request) override {
    std::string body;
    bool too_big = false;
    auto r = exchange(request, [&](const char* d, size_t n) {
      if (body.size() + n > k_max_answer_bytes) {
        too_big = true;
        return false;
      }
      body.append(d, n);
      return true;
    });
    if (too_big) {
      // What was read is no envelope: answered, but unreadable, so the caller classifies it as it
      // would any garbled answer (transient; ambiguous for a submit).
      body.clear();
      r.error = fmt::format("answer over {} bytes, not read further", k_max_answer_bytes);
    }
    r.body = std::move(body);
    return r;
  }

  HttpResponse fetch(const HttpRequest& request, const BodySink& sink) override { return exchange(request, sink); }

  void abort_calls() override {
    std::lock_guard lock(m_mutex);
    m_aborted = true;
    for (poco_socket_t fd : m_busy) {
      // Only shut down, never closed: the fd stays the exchanging thread's until it leaves, so the
      // number cannot be reused under us; its blocked read or write fails at once.
      ::shutdown(fd, SHUT_RDWR);
    }
  }

 private:
  using SessionPtr = std::unique_ptr<Poco::Net::HTTPClientSession>;
  struct Idle {
    SessionPtr session;
    std::chrono::steady_clock::time_point since;  // its last request went out
  };
  // Kept-alive connections are reused for less than the 4 s keep-alive timeout set on them, so
  // Poco never reconnects inside sendRequest, where a failure could no longer be told apart.
  static constexpr auto k_idle_reuse = std::chrono::milliseconds(3000);

  HttpResponse exchange(const HttpRequest& request, const BodySink& sink) {
    HttpResponse out;
    Poco::URI uri;
    try {
      uri = Poco::URI(request.url);
    } catch (const Poco::Exception& e) {
      out.wire = WireOutcome::not_sent;
      out.error = fmt::format("bad URL: {}", e.message());
      return out;
    }
    // A connection to a checked address serves only requests checked against that address.
    std::string key = fmt::format("{}://{}:{}@{}", uri.getScheme(), uri.getHost(), uri.getPort(), request.connect_to);
    poco_socket_t fd = POCO_INVALID_SOCKET;
    SessionPtr session = start(key, uri, request.connect_to, out, fd);
    if (!session) {
      return out;  // not sent: `out` says why
    }
    bool reuse = false;
    auto sent_at = std::chrono::steady_clock::now();
    try {
      Poco::Net::HTTPRequest req(request.method, uri.getPathEtc(), Poco::Net::HTTPMessage::HTTP_1_1);
      req.set("User-Agent", m_options.user_agent);
      for (const auto& [k, v] : request.headers) {
        req.set(k, v);
      }
      if (!request.body.empty() || request.method == "POST") {
        req.setContentLength(static_cast<std::streamsize>(request.body.size()));
      }
      req.setKeepAlive(true);
      std::ostream& os = session->sendRequest(req);
      os << request.body;
      os.flush();
      Poco::Net::HTTPResponse resp;
      std::istream& is = session->receiveResponse(resp);
      out.status = static_cast<int>(resp.getStatus());
      for (const auto& [k, v] : resp) {
        out.headers.emplace_back(k, v);
      }
      std::uint64_t received = 0;
      bool aborted = false;
      read_body(is, [&](const char* data, size_t n) {
        received += n;
        aborted = !sink(data, n);
        return !aborted;
      });
      if (is.bad()) {
        // The stream swallows what its buffer threw (a read timeout, a reset): without a length to
        // compare, the part read would pass for the whole answer.
        out.wire = WireOutcome::no_answer;
        out.error = fmt::format("answer broke off after {} bytes (read failed or timed out)", received);
      } else if (resp.hasContentLength() && !aborted &&
                 received < static_cast<std::uint64_t>(resp.getContentLength64())) {
        out.wire = WireOutcome::no_answer;
        out.error = fmt::format("answer cut short: {} of {} bytes", received, resp.getContentLength64());
      } else {
        out.wire = WireOutcome::answered;
        reuse = resp.getKeepAlive() && !aborted;
      }
    } catch (const Poco::Exception& e) {
      // Only a failure before the first request byte (in acquire's open) is known not to have
      // reached the server; past that point a write may have gone out in part.
      out.wire = WireOutcome::no_answer;
      out.error = e.displayText();
    } catch (const std::exception& e) {
      out.wire = WireOutcome::no_answer;
      out.error = e.what();
    }
    leave(fd);
    if (reuse) {
      release(key, std::move(session), sent_at);
    }
    return out;
  }

  // A connected session for the exchange, its socket marked as busy (abort_calls() cuts it), or
  // nullptr with `out` saying why nothing was sent.
  SessionPtr start(const std::string& key, const Poco::URI& uri, const std::string& connect_to, HttpResponse& out,
                   poco_socket_t& fd) {
    out.wire = WireOutcome::not_sent;
    out.error = "not sent: reelq is stopping";
    if (stopped()) {
      return nullptr;
    }
    SessionPtr session;
    try {
      session = acquire(key, uri, connect_to);
    } catch (const Poco::Exception& e) {
      out.error = e.displayText();
      return nullptr;
    } catch (const std::exception& e) {
      out.error = e.what();
      return nullptr;
    }
    fd = session->socket().impl()->sockfd();
    if (!enter(fd)) {
      return nullptr;  // aborted while it connected
    }
    out.wire = WireOutcome::answered;
    out.error.clear();
    return session;
  }

  // Marks a connected socket as carrying an exchange, which abort_calls() may cut; false once the
  // transport was aborted (nothing of the request has been written: it is not sent).
  bool enter(poco_socket_t fd) {
    std::lock_guard lock(m_mutex);
    if (m_aborted) {
      return false;
    }
    m_busy.insert(fd);
    return true;
  }
  bool stopped() {
    std::lock_guard lock(m_mutex);
    return m_aborted;
  }
  void leave(poco_socket_t fd) {
    std::lock_guard lock(m_mutex);
    m_busy.erase(fd);
  }

  // A connected session for `key`: a recent idle one the server has not closed, else a new one,
  // opened here. Throws on any failure, before anything of the request was written.
  SessionPtr acquire(const std::string& key, const Poco::URI& uri, const std::string& connect_to) {
    if (SessionPtr s = reuse_idle(key)) {
      return s;
    }
    if (uri.getScheme() == "https") {
      auto s =
          std::make_unique<OpeningSession<Poco::Net::HTTPSClientSession>>(uri.getHost(), uri.getPort(), tls_context());
      configure(*s, uri);
      s->open(connect_to);
      return s;
    }
    auto s = std::make_unique<OpeningSession<Poco::Net::HTTPClientSession>>(uri.getHost(), uri.getPort());
    configure(*s, uri);
    s->open(connect_to);
    return s;
  }

  void configure(Poco::Net::HTTPClientSession& s, const Poco::URI& uri) const {
    auto to_span = [](double seconds) { return Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(seconds * 1e6)); };
    s.setTimeout(to_span(m_options.connect_timeout_s), to_span(m_options.read_timeout_s),
                 to_span(m_options.read_timeout_s));
    // Shorter than typical server idle timeouts, so a reused connection is rarely one the server
    // is closing at that moment (which would make a POST's fate unknown).
    s.setKeepAliveTimeout(Poco::Timespan(4, 0));
    // Else sendRequest closes the connection open() just made and connects again inside itself.
    s.setKeepAlive(true);
    if (m_options.use_proxy_env) {
      std::string proxy = proxy_for(uri.getScheme(), uri.getHost());
      if (!proxy.empty()) {
        Poco::URI p(proxy.find("://") == std::string::npos ? "http://" + proxy : proxy);
        s.setProxy(p.getHost(), p.getPort());
        if (!p.getUserInfo().empty()) {
          auto colon = p.getUserInfo().find(':');
          s.setProxyCredentials(p.getUserInfo().substr(0, colon),
                                colon == std::string::npos ? "" : p.getUserInfo().substr(colon + 1));
        }
      }
    }
  }

  SessionPtr reuse_idle(const std::string& key) {
    std::lock_guard lock(m_mutex);
    auto& idle = m_idle[key];
    while (!idle.empty()) {
      Idle i = std::move(idle.back());
      idle.pop_back();
      if (std::chrono::steady_clock::now() - i.since < k_idle_reuse && !closed_by_peer(*i.session)) {
        return std::move(i.session);
      }
    }
    return nullptr;
  }

  // `sent_at`: when its last request went out, which is what Poco's keep-alive timeout counts from.
  void release(const std::string& key, SessionPtr s, std::chrono::steady_clock::time_point sent_at) {
    std::lock_guard lock(m_mutex);
    m_idle[key].push_back({std::move(s), sent_at});
  }

  Poco::Net::Context::Ptr tls_context() {
    std::lock_guard lock(m_mutex);
    if (!m_context) {
      // VERIFY_RELAXED on a client verifies the server's chain; the system store is loaded unless
      // a CA file is given. An invalid certificate is rejected, never waved through.
      m_context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", m_options.ca_file,
                                         Poco::Net::Context::VERIFY_RELAXED, 9, m_options.ca_file.empty(),
                                         "ALL:!ADH:!LOW:!EXP:!MD5:@STRENGTH");
      Poco::SharedPtr<Poco::Net::InvalidCertificateHandler> reject = new Poco::Net::RejectCertificateHandler(false);
      Poco::Net::SSLManager::instance().initializeClient(nullptr, reject, m_context);
    }
    return m_context;
  }

  TransportOptions m_options;
  std::mutex m_mutex;
  std::map<std::string, std::vector<Idle>> m_idle;
  Poco::Net::Context::Ptr m_context;
  bool m_aborted = false;               // abort_calls() was called: nothing leaves any more
  std::multiset<poco_socket_t> m_busy;  // sockets carrying an exchange now
};

}  // namespace

std::string proxy_for(const std::string& scheme, const std::string& host) {
  if (no_proxy_matches(host)) {
    return "";
  }
  return scheme == "https" ? env("HTTPS_PROXY", "https_proxy") : env("HTTP_PROXY", "http_proxy");
}

std::unique_ptr<HttpTransport> make_poco_transport(const TransportOptions& options) {
  return std::make_unique<PocoTransport>(options);
}

}  // namespace reelq
