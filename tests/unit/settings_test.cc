#include "settings.h"

#include <doctest/doctest.h>

#include <cstdlib>

using namespace reelq;

namespace {

SettingsLayers layers(const std::string& manifest_json = "{}") {
  SettingsLayers l;
  l.batch = "night";
  l.manifest_path = "/jobs/night.yaml";
  l.manifest_settings_json = manifest_json;
  l.cwd = "/home/me";
  return l;
}

// Sets an environment variable for one test's duration.
struct Env {
  Env(const char* name, const char* value) : m_name(name) { setenv(name, value, 1); }
  ~Env() { unsetenv(m_name); }
  const char* m_name;
};

}  // namespace

TEST_CASE("every setting has its documented default") {
  Settings s = resolve_settings(layers()).value();
  CHECK(s.api_base == "https://api.apixo.ai");
  CHECK(s.rpm == 60);
  CHECK(s.max_concurrent == 10);
  CHECK(s.poll_initial == 120);
  CHECK(s.poll_interval == 2);
  CHECK(s.download_concurrency == 4);
  CHECK(s.max_attempts == 5);
  CHECK(s.on_ambiguous == OnAmbiguous::resubmit);
  CHECK(s.time_scale == 1);
  CHECK(s.output_dir == "/jobs/renders/night");
}

TEST_CASE("flags beat the environment, which beats the manifest, which beats the default") {
  SettingsLayers l = layers(R"({"rpm":30,"max_concurrent":5,"max_attempts":7})");
  CHECK(resolve_settings(l).value().rpm == 30);
  Env env("REELQ_RPM", "20");
  Env env2("REELQ_MAX_CONCURRENT", "4");
  Settings s = resolve_settings(l).value();
  CHECK(s.rpm == 20);
  CHECK(s.max_concurrent == 4);
  CHECK(s.max_attempts == 7);
  l.flags = {{"rpm", "10"}};
  s = resolve_settings(l).value();
  CHECK(s.rpm == 10);
  CHECK(s.max_concurrent == 4);
}

TEST_CASE("output folders: flag from the current directory, manifest's from its folder, the batch's own kept") {
  SettingsLayers l = layers(R"({"output_dir":"out/night"})");
  CHECK(resolve_settings(l).value().output_dir == "/jobs/out/night");
  l.stored_output_dir = "/elsewhere/night";  // an earlier run used this: a resume stays there
  CHECK(resolve_settings(l).value().output_dir == "/elsewhere/night");
  l.flags = {{"output_dir", "renders"}};
  CHECK(resolve_settings(l).value().output_dir == "/home/me/renders");
}

TEST_CASE("a bad value names where it came from") {
  SettingsLayers l = layers(R"({"rpm":0})");
  CHECK(resolve_settings(l).error().message ==
        "/jobs/night.yaml: settings.rpm: must be a whole number from 1 to 10000 (got \"0\")");
  Env env("REELQ_ON_AMBIGUOUS", "maybe");
  CHECK(resolve_settings(layers()).error().message == "REELQ_ON_AMBIGUOUS: must be resubmit or hold (got \"maybe\")");
  SettingsLayers f = layers();
  f.flags = {{"time_scale", "fast"}};
  unsetenv("REELQ_ON_AMBIGUOUS");
  CHECK(resolve_settings(f).error().message == "--time-scale: must be a number from 0.0001 to 100 (got \"fast\")");
}

// Issue 12 item 11: `resume` after Ctrl-C went to the default API, not the one the batch used.
TEST_CASE("the API base and time scale an earlier run recorded are used again unless a flag says otherwise") {
  SettingsLayers l = layers(R"({"time_scale": 0.5})");
  l.stored_api_base = "http://127.0.0.1:4100";
  l.stored_time_scale = 0.01;
  SUBCASE("a resume with no flags goes back to the same API at the same scale") {
    Settings s = resolve_settings(l).value();
    CHECK(s.api_base == "http://127.0.0.1:4100");
    CHECK(s.time_scale == 0.01);
  }
  SUBCASE("a flag moves the batch to another API; the stored scale stays with the stored API") {
    l.flags = {{"api_base", "https://api.apixo.ai/"}};
    Settings s = resolve_settings(l).value();
    CHECK(s.api_base == "https://api.apixo.ai");  // one spelling: no trailing '/'
    CHECK(s.time_scale == 0.5);                   // the manifest's, never the simulator's 0.01
  }
  SUBCASE("both given as flags") {
    l.flags = {{"api_base", "http://127.0.0.1:4200"}, {"time_scale", "0.02"}};
    Settings s = resolve_settings(l).value();
    CHECK(s.api_base == "http://127.0.0.1:4200");
    CHECK(s.time_scale == 0.02);
  }
  SUBCASE("the environment overrides the stored base as a flag does") {
    Env e("REELQ_API_BASE", "https://proxy.example");
    Settings s = resolve_settings(l).value();
    CHECK(s.api_base == "https://proxy.example");
    CHECK(s.time_scale == 0.5);
  }
}

// Issue 17 item 6: a manifest someone sent sent the key to its own host, over plain http.
TEST_CASE("a manifest never chooses where the key goes; plain http only to this machine, from any layer") {
  SUBCASE("an api_base a manifest stored (an older reelq accepted one) is not followed") {
    SettingsLayers l = layers(R"({"api_base":"https://attacker.example","rpm":30})");
    Settings s = resolve_settings(l).value();
    CHECK(s.api_base == "https://api.apixo.ai");
    CHECK(s.rpm == 30);  // the rest of the block still holds
    Env e("REELQ_API_BASE", "https://proxy.example");
    CHECK(resolve_settings(l).value().api_base == "https://proxy.example");
  }
  SUBCASE("plain http to another host is refused from a flag and from the environment") {
    SettingsLayers l = layers();
    l.flags = {{"api_base", "http://api.apixo.ai"}};
    CHECK(resolve_settings(l).error().message ==
          "--api-base: must be https:// (plain http only to this machine: localhost, 127.0.0.1 or [::1]; it would "
          "carry the API key unencrypted) (got \"http://api.apixo.ai\")");
    l.flags = {{"api_base", "http://127.0.0.1@attacker.example:80/"}};  // the host is attacker.example
    CHECK_FALSE(resolve_settings(l).ok());
    l.flags = {{"api_base", "http://localhost.attacker.example"}};
    CHECK_FALSE(resolve_settings(l).ok());
    l.flags = {};
    Env e("REELQ_API_BASE", "http://10.0.0.7:8080");
    CHECK(resolve_settings(l).error().message.starts_with("REELQ_API_BASE: must be https:// (plain http only"));
  }
  SUBCASE("plain http to this machine is allowed: the simulator and the tests") {
    for (const char* base : {"http://127.0.0.1:4100", "http://localhost:4100", "http://[::1]:4100"}) {
      CAPTURE(base);
      SettingsLayers l = layers();
      l.flags = {{"api_base", base}};
      CHECK(resolve_settings(l).value().api_base == base);
    }
  }
  SUBCASE("an API base recorded by an earlier run is checked too") {
    SettingsLayers l = layers();
    l.stored_api_base = "http://attacker.example";
    l.stored_time_scale = 1;
    CHECK(resolve_settings(l).error().message ==
          "batch night: the API base its last run recorded must be https:// (plain http only to this machine: "
          "localhost, 127.0.0.1 or [::1]; it would carry the API key unencrypted) (got \"http://attacker.example\"); "
          "give another with --api-base");
    l.flags = {{"api_base", "https://api.apixo.ai"}};
    CHECK(resolve_settings(l).value().api_base == "https://api.apixo.ai");
  }
}

TEST_CASE("the listener's settings layer like the others and are checked") {
  SettingsLayers l =
      layers(R"({"listen":"127.0.0.1:8787","public_url":"https://m.example.com","request_type":"callback"})");
  Settings s = resolve_settings(l).value();
  CHECK(s.listen == "127.0.0.1:8787");
  CHECK(s.public_url == "https://m.example.com");
  CHECK(s.request_type == RequestType::callback);
  CHECK(s.image_base_url.empty());
  Env env("REELQ_PUBLIC_URL", "https://env.example.com");
  CHECK(resolve_settings(l).value().public_url == "https://env.example.com");
  l.flags = {{"public_url", "https://flag.example.com"}, {"listen", "[::1]:0"}};
  s = resolve_settings(l).value();
  CHECK(s.public_url == "https://flag.example.com");
  CHECK(s.listen == "[::1]:0");
  l.flags = {{"listen", "8787"}};
  CHECK(resolve_settings(l).error().message == "--listen: must be HOST:PORT, e.g. 127.0.0.1:8787 (got \"8787\")");
  l.flags = {{"listen", "host:70000"}};
  CHECK_FALSE(resolve_settings(l).ok());
  l.flags = {{"request_type", "push"}};
  CHECK(resolve_settings(l).error().message == "--mode: must be async or callback (got \"push\")");
  l.flags = {{"image_base_url", "cdn.example.com/refs"}};
  CHECK(resolve_settings(l).error().message ==
        "--image-base-url: must be an http(s) URL (got \"cdn.example.com/refs\")");
}

TEST_CASE("the remembered flags never choose the API, its time scale or the output folder") {
  // They live in the database, which may come from elsewhere: a host there would get the key.
  SettingsLayers l = layers("{}");
  l.remembered_flags_json =
      R"({"api_base":"http://127.0.0.1:45999","time_scale":"0.01","output_dir":"/tmp/victim","rpm":"20"})";
  Settings s = resolve_settings(l).value();
  CHECK(s.api_base == Settings{}.api_base);
  CHECK(s.time_scale == 1);
  CHECK(s.output_dir.find("/tmp/victim") == std::string::npos);
  CHECK(s.rpm == 20);  // the others still come back
}

TEST_CASE("a resume keeps the flags the batch's last run was given, below new flags and variables") {
  SettingsLayers l = layers(R"({"rpm":30})");
  l.remembered_flags_json = R"({"on_ambiguous":"hold","rpm":"20","request_type":"callback"})";
  Settings s = resolve_settings(l).value();
  CHECK(s.on_ambiguous == OnAmbiguous::hold);
  CHECK(s.rpm == 20);  // the remembered flag beats the manifest
  CHECK(s.request_type == RequestType::callback);
  CHECK(remembered_in_use(l.remembered_flags_json, {}) == "--rpm 20 --on-ambiguous hold --mode callback");
  // The manifest's own figure, which the remembered flag hides, is named beside it (not when equal).
  CHECK(remembered_in_use(l.remembered_flags_json, {}, l.manifest_settings_json) ==
        "--rpm 20 (over the manifest's rpm: 30) --on-ambiguous hold --mode callback");
  CHECK(remembered_in_use(R"({"max_spend":"12.00"})", {}, R"({"max_spend":12})") == "--max-spend 12.00");

  l.flags = {{"on_ambiguous", "resubmit"}};
  CHECK(resolve_settings(l).value().on_ambiguous == OnAmbiguous::resubmit);
  CHECK(remembered_in_use(l.remembered_flags_json, l.flags) == "--rpm 20 --mode callback");
  {
    Env env("REELQ_RPM", "45");
    CHECK(resolve_settings(l).value().rpm == 45);
    CHECK(remembered_in_use(l.remembered_flags_json, l.flags) == "--mode callback");  // not said: not used
  }

  l.remembered_flags_json = R"({"rpm":"zero"})";
  CHECK(resolve_settings(l).error().message ==
        "the flags of the batch's last run: settings.rpm: must be a whole number from 1 to 10000 (got \"zero\")");
}

TEST_CASE("what a batch remembers: earlier flags, then new ones; paths made absolute; no API, scale or folder") {
  std::string first = merge_run_flags("{}",
                                      {{"on_ambiguous", "hold"},
                                       {"tls_cert", "certs/me.pem"},
                                       {"api_base", "http://127.0.0.1:9"},
                                       {"time_scale", "0.01"},
                                       {"output_dir", "out"}},
                                      "/home/me");
  CHECK(first == R"({"on_ambiguous":"hold","tls_cert":"/home/me/certs/me.pem"})");
  std::string second = merge_run_flags(first, {{"on_ambiguous", "resubmit"}, {"rpm", "30"}}, "/elsewhere");
  CHECK(second == R"({"on_ambiguous":"resubmit","rpm":"30","tls_cert":"/home/me/certs/me.pem"})");
  CHECK(merge_run_flags("not json", {{"rpm", "30"}}, "/") == R"({"rpm":"30"})");
}

TEST_CASE("TLS files: a manifest's from its folder, a flag's from the current folder") {
  SettingsLayers l = layers(R"({"tls_cert":"keys/cert.pem","tls_key":"/etc/reelq/key.pem"})");
  Settings s = resolve_settings(l).value();
  CHECK(s.tls_cert == "/jobs/keys/cert.pem");
  CHECK(s.tls_key == "/etc/reelq/key.pem");
  l.flags = {{"tls_cert", "mine.pem"}};
  CHECK(resolve_settings(l).value().tls_cert == "/home/me/mine.pem");
}
