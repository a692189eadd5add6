// Which hosts a result may come from, judged on what their names resolve to (issue 17 item 9:
// a public name that resolves to 127.0.0.1 or 10.x must not reach this machine or its network).
#include "api/resolver.h"

#include <doctest/doctest.h>

#include "api/address_class.h"
#include "support/fake_resolver.h"

using namespace reelq;

namespace {

std::string class_of(const std::string& text) {
  auto a = read_numeric(text);
  return a ? std::string(address_class_name(a->kind)) : "name";
}

}  // namespace

TEST_CASE("address classes, IPv4 and IPv6, including the forms that carry an IPv4 address") {
  struct Row {
    const char* text;
    const char* kind;
  };
  for (Row r : std::initializer_list<Row>{
           {"8.8.8.8", "public"},
           {"104.18.1.1", "public"},
           {"172.32.0.1", "public"},
           {"100.128.0.1", "public"},
           {"127.0.0.1", "loopback"},
           {"127.1", "loopback"},
           {"2130706433", "loopback"},
           {"0x7f.0.0.1", "loopback"},
           {"0.0.0.0", "unspecified"},
           {"0.1.2.3", "unspecified"},
           {"10.1.2.3", "private"},
           {"172.16.0.1", "private"},
           {"192.168.0.1", "private"},
           {"100.64.0.1", "private"},
           {"169.254.169.254", "link-local"},
           {"224.0.0.1", "multicast"},
           {"239.255.255.250", "multicast"},
           {"240.0.0.1", "reserved"},
           {"255.255.255.255", "reserved"},
           {"192.0.0.8", "reserved"},
           {"192.0.2.1", "reserved"},
           {"198.18.0.1", "reserved"},
           {"198.51.100.7", "reserved"},
           {"203.0.113.9", "reserved"},
           {"2606:4700::1", "public"},
           {"[2a00:1450::1]", "public"},
           {"::1", "loopback"},
           {"[::1]", "loopback"},
           {"::", "unspecified"},
           {"fe80::1", "link-local"},
           {"fe80::1%eth0", "link-local"},
           {"fd00::1", "private"},
           {"fec0::1", "private"},
           {"ff02::1", "multicast"},
           {"ff05::2", "multicast"},
           {"2001:db8::1", "reserved"},
           {"100::1", "reserved"},
           {"::ffff:127.0.0.1", "loopback"},
           {"::ffff:7f00:1", "loopback"},
           {"::ffff:10.0.0.1", "private"},
           {"::ffff:169.254.169.254", "link-local"},
           {"::ffff:8.8.8.8", "public"},
           {"::ffff:0:10.0.0.1", "private"},
           {"::127.0.0.1", "loopback"},
           {"64:ff9b::10.0.0.1", "private"},
           {"64:ff9b::8.8.8.8", "public"},
           {"64:ff9b:1::1", "private"},
           {"2002:7f00:1::1", "loopback"},
           {"2002:0808:0808::1", "public"},
           {"::zz", "reserved"},
           {"cdn.apixo.ai", "name"},
           {"localhost", "name"},
       }) {
    CAPTURE(r.text);
    CHECK(class_of(r.text) == r.kind);
  }
  CHECK(read_numeric("2130706433")->text == "127.0.0.1");
  CHECK(read_numeric("[::FFFF:10.0.0.1]")->text == "::ffff:10.0.0.1");
}

TEST_CASE("the API base chooses the rule: results from anywhere only for an API on a local host") {
  CHECK(host_rule_for("https://api.apixo.ai") == HostRule::public_only);
  CHECK(host_rule_for("https://10.0.0.5.example.com") == HostRule::public_only);
  CHECK(host_rule_for("http://127.0.0.1:4000") == HostRule::any);
  CHECK(host_rule_for("http://localhost:8080") == HostRule::any);
  CHECK(host_rule_for("http://[::1]:8080") == HostRule::any);
  CHECK(host_rule_for("https://192.168.1.20") == HostRule::any);
  CHECK(host_rule_for("not a url") == HostRule::public_only);
}

TEST_CASE("connect_target: a name is resolved once, judged on every address, and pinned to one") {
  test::FakeResolver dns;
  dns.table = {
      {"cdn.apixo.ai", {"104.18.1.1", "104.18.1.2"}},
      {"rebind.example", {"127.0.0.1"}},
      {"private.example", {"10.0.0.5"}},
      {"mixed.example", {"104.18.1.1", "10.0.0.5"}},
      {"mapped.example", {"::ffff:192.168.0.1"}},
      {"multicast.example", {"224.0.0.251"}},
      {"metadata.example", {"169.254.169.254"}},
      {"v6first.example", {"2606:4700::1", "104.18.1.3"}},
      {"v6only.example", {"2606:4700::1"}},
  };
  auto target = [&](const std::string& url) { return connect_target(url, HostRule::public_only, dns); };
  using V = ConnectTarget::Verdict;

  ConnectTarget ok = target("https://cdn.apixo.ai/output/a.mp4");
  CHECK(ok.verdict == V::go);
  CHECK(ok.address == "104.18.1.1");
  CHECK(dns.asked == std::vector<std::string>{"cdn.apixo.ai"});
  CHECK(target("https://v6first.example/a.mp4").address == "104.18.1.3");  // IPv4 first, as Poco
  CHECK(target("https://v6only.example/a.mp4").address == "2606:4700::1");
  CHECK(target("https://CDN.apixo.ai./a.mp4").address == "104.18.1.1");

  struct Row {
    const char* url;
    const char* why;
  };
  for (Row r : std::initializer_list<Row>{
           {"https://rebind.example/a.mp4",
            "the result URL's host 'rebind.example' resolves to 127.0.0.1, a loopback address"},
           {"https://private.example/a.mp4",
            "the result URL's host 'private.example' resolves to 10.0.0.5, a private address"},
           {"https://mixed.example/a.mp4",
            "the result URL's host 'mixed.example' resolves to 10.0.0.5, a private address"},
           {"https://mapped.example/a.mp4",
            "the result URL's host 'mapped.example' resolves to ::ffff:192.168.0.1, a private address"},
           {"https://multicast.example/a.mp4",
            "the result URL's host 'multicast.example' resolves to 224.0.0.251, a multicast address"},
           {"http://metadata.example/latest/meta-data/",
            "the result URL's host 'metadata.example' resolves to 169.254.169.254, a link-local address"},
           {"http://localhost:8080/a.mp4", "the result URL's host 'localhost' is this machine"},
           {"http://a.localhost/a.mp4", "the result URL's host 'a.localhost' is this machine"},
           {"http://2130706433/a.mp4", "the result URL's host '2130706433' is a loopback address"},
           {"http://[::ffff:10.0.0.1]/a.mp4", "the result URL's host '::ffff:10.0.0.1' is a private address"},
           {"http://0.0.0.0/a.mp4", "the result URL's host '0.0.0.0' is an unspecified address"},
           {"http://240.1.2.3/a.mp4", "the result URL's host '240.1.2.3' is a reserved address"},
       }) {
    CAPTURE(r.url);
    ConnectTarget t = target(r.url);
    CHECK(t.verdict == V::refused);
    CHECK(t.address == "");
    CHECK(t.why == r.why);
  }

  // A numeric public host needs no resolver, and is connected to as a connection reads it.
  dns.asked.clear();
  ConnectTarget numeric = target("http://134744072/a.mp4");
  CHECK(numeric.verdict == V::go);
  CHECK(numeric.address == "8.8.8.8");
  CHECK(dns.asked.empty());

  ConnectTarget unknown = target("https://nowhere.example/a.mp4");
  CHECK(unknown.verdict == V::unresolved);
  CHECK(unknown.why == "cannot resolve the result URL's host 'nowhere.example': Name or service not known");
}

TEST_CASE("connect_target under HostRule::any resolves nothing: the transport connects as usual") {
  test::FakeResolver dns;
  dns.table = {{"rebind.example", {"127.0.0.1"}}};
  ConnectTarget t = connect_target("http://rebind.example/a.mp4", HostRule::any, dns);
  CHECK(t.verdict == ConnectTarget::Verdict::go);
  CHECK(t.address == "");
  CHECK(dns.asked.empty());
  CHECK(connect_target("http://127.0.0.1:4000/files/t/0.mp4", HostRule::any, dns).verdict ==
        ConnectTarget::Verdict::go);
}

// Only "localhost", which /etc/hosts answers: tests send no query off the machine.
TEST_CASE("the system resolver gives every address of a name, as numeric text") {
  auto dns = make_system_resolver();
  auto local = dns->resolve("localhost");
  REQUIRE(local.ok());
  CHECK_FALSE(local->empty());
  for (const std::string& a : *local) {
    CAPTURE(a);
    CHECK(read_numeric(a)->kind == AddressClass::loopback);
  }
}
