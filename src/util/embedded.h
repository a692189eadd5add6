#pragma once
// Files from schemas/ compiled into the binary by cmake/embed.cmake.
#include <string_view>

namespace reelq::embedded {
std::string_view manifest_schema_json();  // schemas/manifest.schema.json
std::string_view queue_sql();             // schemas/queue.sql
std::string_view prices_json();           // schemas/prices.json
std::string_view sim_result_mp4();        // assets/sim-result.mp4, served by `reelq sim`
}  // namespace reelq::embedded
