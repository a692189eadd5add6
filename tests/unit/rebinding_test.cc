// DNS rebinding against the real transport (issue 17 item 9): a result URL's name is resolved once
// and judged, and the connection goes to the address that was judged, never to a second
// resolution. The names are fake (FakeResolver, and .invalid, which never resolves, RFC 6761);
// every connection is to 127.0.0.1.
#include <Poco/Net/ServerSocket.h>
#include <doctest/doctest.h>
#include <fmt/format.h>

#include "api/poco_transport.h"
#include "fetch/downloader.h"
#include "sim/sim_server.h"
#include "support/local_transport.h"
#include "support/fake_resolver.h"
#include "support/fakes.h"

using namespace reelq;

namespace {

using test::local_transport;

}  // namespace

TEST_CASE("a request with connect_to is sent to that address, whatever its name would resolve to") {
  SimConfig c;
  c.time_scale = 0.01;
  SimServer sim(c);
  REQUIRE(sim.start().ok());
  auto transport = local_transport();
  HttpRequest stats;
  // Resolving this name would fail: an answer can only come from connecting to connect_to.
  stats.url = fmt::format("http://cdn.no-such-host.invalid:{}/__sim/stats", sim.port());
  stats.connect_to = "127.0.0.1";
  HttpResponse r = transport->send(stats);
  CHECK(r.error == "");
  CHECK(r.wire == WireOutcome::answered);
  CHECK(r.status == 200);
  // A kept-alive connection pinned to one address is reused for the same name and address.
  CHECK(transport->send(stats).status == 200);
}

TEST_CASE("a result URL whose public-looking name resolves to 127.0.0.1 is never connected to") {
  // A listening socket that would hold any connection made to it in its backlog.
  Poco::Net::ServerSocket listening(Poco::Net::SocketAddress("127.0.0.1", 0));
  test::FakeResolver dns;
  dns.table = {{"cdn.rebind.example", {"127.0.0.1"}}};
  test::TempDir dir;
  auto transport = local_transport();
  std::string url = fmt::format("http://cdn.rebind.example:{}/a.mp4", listening.address().port());
  std::string error;
  int status = 0;
  WireOutcome wire = WireOutcome::answered;
  DownloadLimits limits;
  limits.host_rule = HostRule::public_only;
  limits.resolver = &dns;
  DownloadFailure failure = DownloadFailure::none;
  FileRecord r = download_file(*transport, url, dir / "a.mp4", error, status, &wire, limits, &failure);
  CHECK(r.path.empty());
  CHECK(wire == WireOutcome::refused);
  CHECK(failure == DownloadFailure::refused);
  CHECK(error ==
        "the result URL's host 'cdn.rebind.example' resolves to 127.0.0.1, a loopback address: refused, nothing "
        "requested");
  CHECK_FALSE(listening.poll(Poco::Timespan(0), Poco::Net::Socket::SELECT_READ));  // no connection came
  CHECK(dns.asked == std::vector<std::string>{"cdn.rebind.example"});
}
