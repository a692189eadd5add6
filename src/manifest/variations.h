#pragma once
// `vary:`: one job written once, rendered in every combination of the values it lists.
//
//   - id: skyline
//     vary: {duration: [4, 8], size: [720*1280, 1280*720]}
//
// is four jobs, skyline-d4-720x1280, skyline-d4-1280x720, skyline-d8-720x1280 and
// skyline-d8-1280x720: the cross product in the order the fields are written, each id the job's
// id and one readable suffix per field, so ids stay the same from run to run and re-enqueueing is
// idempotent. Expansion happens on the tree, before a job is built, so every variant gets exactly
// the checks of a job written out by hand, with errors at the value in the vary: list.
#include <cstdint>
#include <string>
#include <vector>

#include "manifest/yaml_tree.h"

namespace reelq {

// The fields vary: may list, as the schema's vary definition does.
const std::vector<std::string>& varied_field_names();

// The vary: mapping that applies to `job`: its own, else the one in `defaults`, else nullptr.
const YamlNode* vary_of(const YamlNode& job, const YamlNode& defaults);

// How many jobs `job` stands for: 1 without vary:, else the product of its lists' lengths
// (saturating at UINT64_MAX). Fields the job sets itself are not varied by the defaults' vary:.
std::uint64_t variation_count(const YamlNode& job, const YamlNode& defaults);

// The jobs `job` stands for: without vary:, `job` itself (with `id` as its id); else one copy per
// combination, each with the varied fields set to the listed value node (keeping its place), the
// id `id` plus the suffixes, and no vary: key.
std::vector<YamlNode> expand_variations(const YamlNode& job, const YamlNode& defaults, const std::string& id);

// The id suffix of the value at `index` (from 0) of field `field`: d8 for duration 8, 720x1280 for
// size 720*1280, 1080p for a resolution, p2 and i2 for the second prompt or image.
std::string variation_suffix(const std::string& field, const YamlNode& value, size_t index);

}  // namespace reelq
