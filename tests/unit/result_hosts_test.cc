// Which result URLs reelq fetches (issue 17: any number, to any host).
#include "api/result_hosts.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace reelq;

TEST_CASE("hosts on this machine, a private network or no public host are local, in every spelling the resolver reads") {
  for (const char* host : {"127.0.0.1",
                           "127.9.9.9",
                           "localhost",
                           "LOCALHOST",
                           "localhost.",
                           "a.localhost",
                           "0.0.0.0",
                           "10.1.2.3",
                           "172.16.0.1",
                           "172.31.255.255",
                           "192.168.1.1",
                           "169.254.169.254",
                           "100.64.0.1",
                           "127.1",
                           "2130706433",
                           "0x7f.0.0.1",
                           "0177.0.0.1",
                           "::1",
                           "[::1]",
                           "::",
                           "fe80::1",
                           "fe80::1%eth0",
                           "fd00::1",
                           "fc12::3",
                           "::ffff:127.0.0.1",
                           "[::ffff:10.0.0.1]",
                           "224.0.0.1",
                           "255.255.255.255",
                           "ff02::1",
                           "2001:db8::1",
                           "64:ff9b::7f00:1",
                           ""}) {
    CAPTURE(host);
    CHECK(is_local_host(host));
  }
  for (const char* host : {"api.apixo.ai", "cdn.apixo.ai", "8.8.8.8", "172.32.0.1", "172.15.255.255", "192.169.0.1",
                           "100.128.0.1", "[2606:4700::1]", "localhost.example.com", "11.0.0.1"}) {
    CAPTURE(host);
    CHECK_FALSE(is_local_host(host));
  }
}

TEST_CASE("result URLs: at most four, http(s) only, local hosts only from a local API") {
  const std::string api = "https://api.apixo.ai";
  CHECK(result_urls_problem({"https://cdn.apixo.ai/a.mp4"}, api, "k") == "");
  CHECK(result_urls_problem(std::vector<std::string>(4, "https://cdn.apixo.ai/a.mp4"), api, "k") == "");
  CHECK(result_urls_problem(std::vector<std::string>(3000, "https://cdn.apixo.ai/a.mp4"), api, "k") ==
        "success with 3000 result URLs; a take has at most 4");
  CHECK(result_urls_problem({"ftp://cdn.apixo.ai/a.mp4"}, api, "k") ==
        "success with a result URL that is not http(s): 'ftp://cdn.apixo.ai/a.mp4'");
  CHECK(result_urls_problem({"https://cdn.apixo.ai/a.mp4", "http://10.0.0.5/x"}, api, "k") ==
        "success with a result URL on '10.0.0.5', this machine, a private network or no public host; reelq "
        "fetches results there only from an API there");
  CHECK(result_urls_problem({"http://[::1]:80/x"}, api, "k") != "");
  CHECK(result_urls_problem({"http://2130706433/x"}, api, "k") != "");
  // The simulator and the tests: an API on this machine may point at this machine.
  CHECK(result_urls_problem({"http://127.0.0.1:4000/files/t/0.mp4"}, "http://127.0.0.1:4000", "k") == "");
  CHECK(result_urls_problem({"http://localhost:4000/files/t/0.mp4"}, "http://localhost:4000", "k") == "");
  // A value quoted from the answer has the key redacted.
  CHECK(result_urls_problem({"gopher://sk-secret"}, api, "sk-secret") ==
        "success with a result URL that holds the API key: 'gopher://[redacted]'");
  // The key echoed into a URL would be sent to its host, and quoted with its host name.
  CHECK(result_urls_problem({"https://sk-secret.cdn.example/a.mp4"}, api, "sk-secret") ==
        "success with a result URL that holds the API key: 'https://[redacted].cdn.example/a.mp4'");
  CHECK(result_urls_problem({"https://cdn.apixo.ai/a.mp4?k=sk-secret"}, api, "sk-secret") != "");
  CHECK(result_urls_problem({"http://127.0.0.1:4000/x?sk-secret"}, "http://127.0.0.1:4000", "sk-secret") != "");
}
