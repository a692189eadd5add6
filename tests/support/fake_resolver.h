#pragma once
// A resolver that answers from a table and records every name it was asked: tests choose what a
// name resolves to (a public-looking name that resolves to 127.0.0.1: DNS rebinding).
#include <map>
#include <string>
#include <vector>

#include "api/resolver.h"

namespace reelq::test {

class FakeResolver final : public Resolver {
 public:
  Result<std::vector<std::string>> resolve(const std::string& host) override {
    asked.push_back(host);
    auto it = table.find(host);
    if (it == table.end()) {
      return Error{ErrorKind::io, "Name or service not known"};
    }
    return it->second;
  }

  std::map<std::string, std::vector<std::string>> table;  // a name absent here does not resolve
  std::vector<std::string> asked;
};

}  // namespace reelq::test
