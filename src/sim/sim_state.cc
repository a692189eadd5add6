#include "sim/sim_state.h"

#include <Poco/JSON/Parser.h>
#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "util/safe_file.h"

namespace reelq {

namespace {

constexpr int k_snapshot_version = 1;

}  // namespace

std::string snapshot_json(const SimSnapshot& snapshot) {
  Poco::JSON::Object root;
  root.set("version", k_snapshot_version);
  Poco::JSON::Array tasks;
  for (const SimTask& t : snapshot.tasks) {
    Poco::JSON::Object o;
    o.set("id", t.id);
    o.set("key", static_cast<Poco::UInt64>(t.key));
    o.set("created", t.created);
    o.set("processing_at", t.processing_at);
    o.set("done_at", t.done_at);
    o.set("expires_at", t.expires_at);
    o.set("fail_code", t.fail_code);
    o.set("fail_msg", t.fail_msg);
    o.set("cost", t.cost);
    o.set("callback_url", t.callback_url);
    o.set("callback_started", t.callback_started);
    o.set("refunded", t.refunded);
    if (t.seen_at) {
      o.set("seen_at", *t.seen_at);
    }
    tasks.add(o);
  }
  root.set("tasks", tasks);
  Poco::JSON::Array credits;
  for (double c : snapshot.credits) {
    credits.add(c);
  }
  root.set("credits", credits);
  Poco::JSON::Object inputs;
  for (const auto& [input, n] : snapshot.tasks_by_input) {
    inputs.set(input, n);
  }
  root.set("tasks_by_input", inputs);
  std::ostringstream out;
  root.stringify(out);
  return out.str();
}

Result<SimSnapshot> parse_snapshot(const std::string& json) {
  try {
    Poco::JSON::Parser parser;
    auto root = parser.parse(json).extract<Poco::JSON::Object::Ptr>();
    if (root->optValue<int>("version", 0) != k_snapshot_version) {
      return Error{ErrorKind::usage, fmt::format("a simulator state of version {} (this reelq writes {})",
                                                 root->optValue<int>("version", 0), k_snapshot_version)};
    }
    SimSnapshot s;
    auto tasks = root->getArray("tasks");
    for (size_t i = 0; tasks && i < tasks->size(); ++i) {
      auto o = tasks->getObject(static_cast<unsigned>(i));
      SimTask t;
      t.id = o->getValue<std::string>("id");
      t.key = o->getValue<size_t>("key");
      t.created = o->getValue<TimeMs>("created");
      t.processing_at = o->getValue<TimeMs>("processing_at");
      t.done_at = o->getValue<TimeMs>("done_at");
      t.expires_at = o->getValue<TimeMs>("expires_at");
      t.fail_code = o->getValue<std::string>("fail_code");
      t.fail_msg = o->getValue<std::string>("fail_msg");
      t.cost = o->getValue<double>("cost");
      t.callback_url = o->getValue<std::string>("callback_url");
      t.callback_started = o->getValue<bool>("callback_started");
      t.refunded = o->getValue<bool>("refunded");
      if (o->has("seen_at")) {
        t.seen_at = o->getValue<TimeMs>("seen_at");
      }
      s.tasks.push_back(std::move(t));
    }
    auto credits = root->getArray("credits");
    for (size_t i = 0; credits && i < credits->size(); ++i) {
      s.credits.push_back(credits->getElement<double>(static_cast<unsigned>(i)));
    }
    if (auto inputs = root->getObject("tasks_by_input")) {
      for (const auto& name : inputs->getNames()) {
        s.tasks_by_input[name] = inputs->getValue<int>(name);
      }
    }
    return s;
  } catch (const Poco::Exception& e) {
    return Error{ErrorKind::usage, fmt::format("the simulator state is unreadable: {}", e.displayText())};
  }
}

Status write_snapshot(const std::string& path, const SimSnapshot& snapshot) {
  return replace_file(path, path + ".tmp", [&](std::ostream& out) { out << snapshot_json(snapshot); });
}

Result<SimSnapshot> read_snapshot(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (!std::filesystem::exists(path)) {
      return SimSnapshot{};
    }
    return Error{ErrorKind::io, fmt::format("cannot read {}: {}", path, std::strerror(errno))};
  }
  std::ostringstream text;
  text << in.rdbuf();
  auto s = parse_snapshot(text.str());
  if (!s) {
    return Error{s.error().kind, fmt::format("{}: {}", path, s.error().message)};
  }
  return s;
}

}  // namespace reelq
