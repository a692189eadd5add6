#include "manifest/manifest.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <deque>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <tuple>
#include <unordered_map>

#include "manifest/image_check.h"
#include "manifest/job_files.h"
#include "manifest/schema.h"
#include "manifest/side_file.h"
#include "manifest/variations.h"
#include "manifest/yaml_tree.h"
#include "util/text.h"

namespace reelq {

namespace fs = std::filesystem;

std::string_view to_string(Mode mode) {
  return mode == Mode::text_to_video ? "text-to-video" : "image-to-video";
}

namespace {

constexpr const char* k_default_size = "1280*720";
constexpr const char* k_default_resolution = "720p";
// A prompt is at most 5000 characters of at most 4 bytes each; a prompt_file past this is not one.
constexpr std::uintmax_t k_max_prompt_file_bytes = 64 * 1024;

// Turns the schema-checked tree into specs and applies the rules a schema cannot say: defaults,
// mode-dependent fields, unique ids, readable images, job lists and variations. Tolerant of shape
// errors already reported.
class ManifestBuilder {
 public:
  ManifestBuilder(const ManifestSource& source, Diagnostics& errors)
      : m_source(source), m_errors(errors), m_file(source.display_name) {}

  Manifest build(const YamlNode& root) {
    Manifest m;
    if (auto* b = root.find("batch"); b && b->kind == YamlKind::scalar) {
      m.batch = b->text;
    }
    if (auto* model = root.find("model"); model && model->kind == YamlKind::scalar) {
      m.model = model->text;
    }
    if (auto* s = root.find("settings"); s && s->kind == YamlKind::mapping) {
      m.settings_json = settings_to_json(*s);
    }
    static const YamlNode k_empty{YamlKind::mapping, {}, {}, false, {}, {}};
    const YamlNode* defaults = root.find("defaults");
    if (!defaults || defaults->kind != YamlKind::mapping) {
      defaults = &k_empty;
    }
    check_defaults(*defaults);
    std::vector<JobGroup> groups = collect_jobs(root);
    // Counted before anything is expanded: a cross product is refused before it fills memory.
    if (!within_job_cap(root, groups, *defaults)) {
      return m;
    }
    for (size_t g = 0; g < groups.size(); ++g) {
      build_group(groups[g], g, *defaults, m);
    }
    return m;
  }

  // The files errors may name, the manifest first: errors are reported file by file in this order.
  std::vector<std::string> files() const {
    std::vector<std::string> out = {m_source.display_name};
    for (const auto& list : m_lists) {
      out.push_back(list.display);
    }
    return out;
  }

 private:
  // The jobs of one file: the manifest's jobs:, or one jobs_from: list.
  struct JobGroup {
    std::string display;  // how errors name the file
    std::string entry;    // the jobs_from: entry; "" for the manifest
    std::vector<const YamlNode*> jobs;
    std::vector<std::string> default_ids;  // the id of a job that gives none
  };

  struct Place {
    size_t file;  // index into files(): an id's place is kept for each of 100,000 jobs
    SourcePos pos;
  };

  void error(SourcePos pos, std::string message) { error_at(m_file, pos, std::move(message)); }

  void error_at(const std::string& file, SourcePos pos, std::string message) {
    m_errors.push_back({file, pos, std::move(message)});
  }

  // The file a value came from: the job's own file, or the manifest for one inherited from defaults:.
  const std::string& file_for(bool own) const { return own ? m_file : m_source.display_name; }

  std::string place_of(const Place& p) const {
    return p.file == m_file_index ? fmt::format("line {}", p.pos.line)
                                  : fmt::format("{}:{}:{}", files()[p.file], p.pos.line, p.pos.col);
  }

  void check_defaults(const YamlNode& defaults) {
    if (defaults.find("prompt") && defaults.find("prompt_file")) {
      error(defaults.find("prompt_file")->pos, "defaults give prompt or prompt_file, not both");
    }
  }

  std::vector<JobGroup> collect_jobs(const YamlNode& root) {
    const YamlNode* jobs = root.find("jobs");
    const YamlNode* from = root.find("jobs_from");
    if (!jobs && !from) {
      error(root.pos, "missing required key 'jobs' (or 'jobs_from', for jobs kept in a CSV or JSONL file)");
    }
    std::vector<JobGroup> groups(1, JobGroup{m_source.display_name, "", {}, {}});
    if (jobs && jobs->kind == YamlKind::sequence) {
      for (size_t i = 0; i < jobs->items.size(); ++i) {
        if (jobs->items[i].kind == YamlKind::mapping) {
          groups[0].jobs.push_back(&jobs->items[i]);
          groups[0].default_ids.push_back(fmt::format("job-{:04}", i + 1));
        }
      }
    }
    if (!from || from->kind != YamlKind::sequence) {
      return groups;
    }
    for (const auto& entry : from->items) {
      if (entry.kind != YamlKind::scalar || entry.text.empty()) {
        continue;  // the schema has said what is wrong
      }
      JobList& list = m_lists.emplace_back(read_job_list(entry, m_source.display_name, m_source.base_dir, m_errors));
      JobGroup group{list.display, list.entry, {}, {}};
      for (const auto& job : list.jobs) {
        // A row is held to the schema's job rules exactly as a job under jobs: is.
        Schema::manifest().validate_as("job", job, "job", list.display, m_errors,
                                       list.format == JobListFormat::jsonl ? Syntax::json : Syntax::yaml);
        group.jobs.push_back(&job);
        group.default_ids.emplace_back();  // a row always has an id (job_files.h)
      }
      groups.push_back(std::move(group));
    }
    return groups;
  }

  static SourcePos key_pos(const YamlNode& map, std::string_view key) {
    for (const auto& e : map.entries) {
      if (e.key == key) {
        return e.key_pos;
      }
    }
    return map.pos;
  }

  // settings.max_jobs bounds the jobs vary: makes (jobs written out one by one are not capped:
  // their number is in plain sight).
  bool within_job_cap(const YamlNode& root, const std::vector<JobGroup>& groups, const YamlNode& defaults) {
    long long cap = k_default_max_jobs;
    if (const YamlNode* s = root.find("settings"); s && s->kind == YamlKind::mapping && s->find("max_jobs")) {
      cap = plain_integer(*s->find("max_jobs")).value_or(cap);
    }
    std::uint64_t made = 0;
    std::optional<std::pair<std::string, SourcePos>> first;  // the first vary: of the manifest
    for (const auto& group : groups) {
      for (const YamlNode* job : group.jobs) {
        if (!vary_of(*job, defaults)) {
          continue;
        }
        std::uint64_t n = variation_count(*job, defaults);
        made =
            made > std::numeric_limits<std::uint64_t>::max() - n ? std::numeric_limits<std::uint64_t>::max() : made + n;
        if (!first) {
          bool own = job->find("vary") != nullptr;
          first = own ? std::make_pair(group.display, key_pos(*job, "vary"))
                      : std::make_pair(m_source.display_name, key_pos(defaults, "vary"));
        }
      }
    }
    if (cap < 1 || made <= static_cast<std::uint64_t>(cap)) {
      return true;  // a cap out of range is the schema's to report
    }
    error_at(first->first, first->second,
             fmt::format("vary: makes {} jobs in this manifest, more than max_jobs allows ({}); if so many are "
                         "meant, set max_jobs: {} under settings: in the manifest",
                         made, cap, made));
    return false;
  }

  void build_group(const JobGroup& group, size_t file_index, const YamlNode& defaults, Manifest& m) {
    m_file = group.display;
    m_file_index = file_index;
    for (size_t i = 0; i < group.jobs.size(); ++i) {
      const YamlNode& job = *group.jobs[i];
      if (!vary_of(job, defaults)) {
        add_job(build_job(job, defaults, group.default_ids[i]), group, m);
        continue;
      }
      check_vary_overlap(job);
      check_vary_repeats(job);
      const YamlNode* id = job.find("id");
      std::string base_id = id && id->kind == YamlKind::scalar ? id->text : group.default_ids[i];
      const std::vector<YamlNode> variants = expand_variations(job, defaults, base_id);
      std::vector<std::pair<size_t, std::string>> found;  // (error index, its variant's id)
      for (const YamlNode& variant : variants) {
        const size_t before = m_errors.size();
        JobSpec spec = build_job(variant, defaults, group.default_ids[i]);
        for (size_t e = before; e < m_errors.size(); ++e) {
          found.emplace_back(e, spec.id);
        }
        check_varied_id(variant, spec.id);
        // A job that sets every field the defaults' vary: lists is not varied: not counted as made by it.
        m.varied_jobs += spec.id != base_id ? 1 : 0;
        add_job(std::move(spec), group, m);
      }
      said_once_for_all(found, base_id, variants.size());
    }
    m_file = m_source.display_name;
    m_file_index = 0;
  }

  static void add_job(JobSpec spec, const JobGroup& group, Manifest& m) {
    spec.source_file = group.entry;
    m.listed_jobs += group.entry.empty() ? 0 : 1;
    m.jobs.push_back(std::move(spec));
  }

  void check_vary_overlap(const YamlNode& job) {
    const YamlNode* vary = job.find("vary");
    if (!vary || vary->kind != YamlKind::mapping) {
      return;
    }
    for (const auto& e : vary->entries) {
      if (job.find(e.key)) {
        error(e.key_pos, fmt::format("{} is both set on this job and listed in its vary:; keep one", e.key));
      }
    }
  }

  // A vary: value written twice would make the same job twice (and a duplicate-id error per copy).
  void check_vary_repeats(const YamlNode& job) {
    const YamlNode* vary = job.find("vary");
    if (!vary || vary->kind != YamlKind::mapping) {
      return;
    }
    for (const auto& e : vary->entries) {
      std::set<std::string> seen;
      for (const YamlNode& v : e.value.items) {
        if (v.kind == YamlKind::scalar && !seen.insert(v.text).second) {
          error(v.pos, fmt::format("vary: lists {} '{}' twice; each value makes its own jobs, so keep one", e.key,
                                   v.text));
        }
      }
    }
  }

  // A problem every variant of a job has (no prompt, say) is said once, naming the job, instead of
  // once per variant; one only some variants have keeps the variant's id. `found` holds (index
  // into m_errors, the variant's id) of the errors the variants' checks added, in order.
  void said_once_for_all(const std::vector<std::pair<size_t, std::string>>& found, const std::string& base_id,
                         size_t variants) {
    if (variants < 2 || found.empty()) {
      return;
    }
    auto generic = [&](const std::pair<size_t, std::string>& f) {
      const Diagnostic& d = m_errors[f.first];
      std::string text = d.message;
      const std::string quoted = "'" + f.second + "'";
      for (size_t at = text.find(quoted); at != std::string::npos; at = text.find(quoted, at + 1)) {
        text.replace(at, quoted.size(), "'\x01'");
      }
      return fmt::format("{}:{}:{}:{}", d.file, d.pos.line, d.pos.col, text);
    };
    std::map<std::string, size_t> times;
    for (const auto& f : found) {
      ++times[generic(f)];
    }
    std::set<size_t> drop;
    std::set<std::string> said;
    for (const auto& f : found) {
      std::string g = generic(f);
      if (times[g] != variants) {
        continue;
      }
      if (!said.insert(g).second) {
        drop.insert(f.first);
        continue;
      }
      std::string& message = m_errors[f.first].message;
      const std::string quoted = "'" + f.second + "'";
      const std::string named = fmt::format("'{}' (all {} of its vary: variants)", base_id, variants);
      for (size_t at = message.find(quoted); at != std::string::npos; at = message.find(quoted, at + named.size())) {
        message.replace(at, quoted.size(), named);
      }
    }
    for (auto it = drop.rbegin(); it != drop.rend(); ++it) {
      m_errors.erase(m_errors.begin() + static_cast<std::ptrdiff_t>(*it));
    }
  }

  // A variant's id is the job's, checked by the schema, plus suffixes made of id characters; only
  // its length can go wrong.
  void check_varied_id(const YamlNode& variant, const std::string& id) {
    if (id.size() > 64) {
      error(variant.find("id")->pos,
            fmt::format("job id '{}' (the job's id and its vary: suffixes) is longer than 64 characters; give the "
                        "job a shorter id",
                        id));
    }
  }

  // The job's own value for `key`, else the default's, else nullptr.
  static const YamlNode* field(const YamlNode& job, const YamlNode& defaults, std::string_view key,
                               bool* from_job = nullptr) {
    const YamlNode* v = job.find(key);
    if (from_job) {
      *from_job = v != nullptr;
    }
    return v ? v : defaults.find(key);
  }

  // The integer `n` holds when it fits an int; out-of-range values are the schema's to report.
  static std::optional<int> small_int(const YamlNode* n) {
    auto v = n ? plain_integer(*n) : std::nullopt;
    if (!v || *v < std::numeric_limits<int>::min() || *v > std::numeric_limits<int>::max()) {
      return std::nullopt;
    }
    return static_cast<int>(*v);
  }

  JobSpec build_job(const YamlNode& job, const YamlNode& defaults, const std::string& default_id) {
    JobSpec spec;
    spec.pos = job.pos;
    check_id(job, default_id, spec);
    resolve_prompt(job, defaults, spec);
    if (auto d = small_int(field(job, defaults, "duration"))) {
      spec.duration = *d;
    }
    if (auto t = small_int(field(job, defaults, "takes"))) {
      spec.takes = *t;
    }
    resolve_mode(job, defaults, spec);
    return spec;
  }

  void resolve_prompt(const YamlNode& job, const YamlNode& defaults, JobSpec& spec) {
    const YamlNode* own_text = job.find("prompt");
    const YamlNode* own_file = job.find("prompt_file");
    if (own_text && own_file) {
      error(own_file->pos, "a job gives prompt or prompt_file, not both");
      return;
    }
    const bool own = own_text || own_file;
    const YamlNode* text = own ? own_text : defaults.find("prompt");
    const YamlNode* file = own ? own_file : defaults.find("prompt_file");
    if (file && file->kind == YamlKind::scalar) {
      spec.prompt = prompt_from_file(*file, file_for(own));
    } else if (text && text->kind == YamlKind::scalar) {
      spec.prompt = text->text;
      check_utf8(*text, "prompt", file_for(own));
    } else if (!text && !file) {
      error(job.pos, fmt::format("job '{}' has no prompt (and defaults give none)", spec.id));
    }
  }

  // A prompt_file's text, read and checked once however many jobs name it.
  std::string prompt_from_file(const YamlNode& f, const std::string& where) {
    auto it = m_prompt_files.find(f.text);
    if (it == m_prompt_files.end()) {
      it = m_prompt_files.emplace(f.text, read_prompt_file(f, where)).first;
    }
    return it->second;
  }

  std::string read_prompt_file(const YamlNode& f, const std::string& where) {
    SideFile file = read_side_file(f.text, m_source.base_dir, k_max_prompt_file_bytes);
    if (!file.problem.empty()) {
      error_at(where, f.pos, fmt::format("prompt_file '{}' {}", f.text, file.problem));
      return "";
    }
    std::string& text = file.text;
    // An editor ends the file with a line break; it is not part of the prompt.
    if (text.ends_with('\n')) {
      text.pop_back();
      if (text.ends_with('\r')) {
        text.pop_back();
      }
    }
    if (size_t bad = find_invalid_utf8(text); bad != std::string::npos) {
      error_at(where, f.pos, fmt::format("prompt_file '{}' is not UTF-8 text (byte {} of the file)", f.text, bad + 1));
      return "";
    }
    YamlNode prompt{YamlKind::scalar, f.pos, text, false, {}, {}};
    Schema::manifest().validate_as("prompt", prompt, fmt::format("the prompt in '{}'", f.text), where, m_errors);
    return text;
  }

  // Text that reelq stores and sends as JSON must be UTF-8: the API refuses anything else, and so
  // does reelq reading its own queue back at the next run.
  bool check_utf8(const YamlNode& v, std::string_view what, const std::string& file) {
    size_t bad = find_invalid_utf8(v.text);
    if (bad != std::string::npos) {
      error_at(file, v.pos, fmt::format("{} is not valid UTF-8 (byte {} of the text)", what, bad + 1));
    }
    return bad == std::string::npos;
  }

  void check_id(const YamlNode& job, const std::string& default_id, JobSpec& spec) {
    const YamlNode* id = job.find("id");
    SourcePos pos = id ? id->pos : job.pos;
    spec.id = id && id->kind == YamlKind::scalar ? id->text : default_id;
    auto [it, inserted] = m_id_places.emplace(spec.id, Place{m_file_index, pos});
    if (!inserted) {
      error(pos, fmt::format("duplicate job id '{}' (first at {})", spec.id, place_of(it->second)));
      return;
    }
    // Files are named after ids; on a case-insensitive disk (macOS, Windows, most USB drives)
    // 'Clip' and 'clip' would write one file.
    std::string folded = spec.id;
    std::transform(folded.begin(), folded.end(), folded.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    auto [first, fresh] = m_folded_ids.emplace(folded, std::make_pair(spec.id, Place{m_file_index, pos}));
    if (!fresh) {
      error(pos, fmt::format("job id '{}' differs from '{}' ({}) only in case; their files would be one file "
                             "on a case-insensitive disk",
                             spec.id, first->second.first, place_of(first->second.second)));
    }
  }

  // mode decides which of size / resolution / images apply. A value the job sets itself must fit
  // its mode; one inherited from defaults that does not fit is simply not used.
  void resolve_mode(const YamlNode& job, const YamlNode& defaults, JobSpec& spec) {
    bool images_own = false;
    const YamlNode* images = field(job, defaults, "images", &images_own);
    const YamlNode* mode = field(job, defaults, "mode");
    if (mode && mode->kind == YamlKind::scalar) {
      spec.mode = mode->text == "image-to-video" ? Mode::image_to_video : Mode::text_to_video;
    } else {
      // Unstated: a job that names images means to animate them.
      spec.mode = images ? Mode::image_to_video : Mode::text_to_video;
    }
    bool size_own = false;
    bool res_own = false;
    const YamlNode* size = field(job, defaults, "size", &size_own);
    const YamlNode* resolution = field(job, defaults, "resolution", &res_own);
    if (spec.mode == Mode::text_to_video) {
      if (res_own) {
        error(resolution->pos, "resolution applies to image-to-video only; text-to-video takes size");
      }
      if (images_own) {
        error(images->pos, "images apply to image-to-video only; set mode: image-to-video");
      }
      spec.size = size && size->kind == YamlKind::scalar ? size->text : k_default_size;
      return;
    }
    if (size_own) {
      error(size->pos, "size applies to text-to-video only; image-to-video takes resolution");
    }
    spec.resolution = resolution && resolution->kind == YamlKind::scalar ? resolution->text : k_default_resolution;
    if (!images || images->kind != YamlKind::sequence) {
      if (!images) {
        error(job.pos, fmt::format("job '{}' is image-to-video and needs at least one entry in images", spec.id));
      }
      return;
    }
    for (const auto& img : images->items) {
      if (img.kind == YamlKind::scalar && !img.text.empty() && check_utf8(img, "image", file_for(images_own))) {
        spec.images.push_back(checked_image(img, file_for(images_own)));
      }
    }
  }

  std::string checked_image(const YamlNode& img, const std::string& file) {
    // Large batches reuse a few reference images; look at each file once.
    auto it = m_image_cache.find(img.text);
    if (it == m_image_cache.end()) {
      it = m_image_cache.emplace(img.text, check_image(img.text, m_source.base_dir)).first;
    }
    if (!it->second.problem.empty()) {
      error_at(file, img.pos, it->second.problem);
    }
    return it->second.resolved;
  }

  std::string settings_to_json(const YamlNode& settings) {
    std::string out = "{";
    for (const auto& e : settings.entries) {
      if (e.key == "api_base") {
        // Every request carries the API key: a manifest someone sent must not choose its host.
        error(e.key_pos,
              "api_base cannot be set in a manifest: it chooses where reelq sends your API key; give "
              "--api-base or REELQ_API_BASE instead");
        continue;
      }
      if (e.key == "max_jobs") {
        continue;  // a bound on reading the manifest (within_job_cap), not a runner setting
      }
      if (e.value.kind != YamlKind::scalar || !check_utf8(e.value, e.key, m_file)) {
        continue;  // the schema has already said what is wrong, or check_utf8 has
      }
      out += fmt::format("{}{}:{}", out.size() > 1 ? "," : "", json_quote(e.key), json_value(e.value));
      if (e.key == "output_dir") {
        check_output_dir(e.value);
      }
    }
    return out + "}";
  }

  // A plain number or boolean as JSON spells it: YAML's 0x1F, 0o17, +3, .5, 1. and True are not
  // JSON, and the settings are stored as JSON and read back at every run.
  static std::string json_value(const YamlNode& v) {
    if (auto i = plain_integer(v)) {
      return fmt::format("{}", *i);
    }
    ScalarType type = v.plain ? resolve_plain_scalar(v.text) : ScalarType::string;
    if (type == ScalarType::floating) {
      try {
        if (double d = std::stod(v.text); std::isfinite(d)) {
          return fmt::format("{}", d);
        }
      } catch (const std::exception&) {
      }
    } else if (type == ScalarType::boolean) {
      return v.text[0] == 't' || v.text[0] == 'T' ? "true" : "false";
    }
    return json_quote(v.text);  // as text: the schema has said what is wrong with it, if anything
  }

  // A manifest may come from someone else: it must not send reelq's writes outside its folder.
  void check_output_dir(const YamlNode& v) {
    fs::path p(v.text);
    fs::path normal = p.lexically_normal();
    if (p.is_absolute() || (!normal.empty() && *normal.begin() == "..")) {
      error(v.pos, fmt::format("output_dir must be a folder inside the manifest's folder (got \"{}\"); "
                               "use --output-dir to write elsewhere",
                               v.text));
    }
  }

  const ManifestSource& m_source;
  Diagnostics& m_errors;
  std::string m_file;           // the file whose jobs are being built, as errors name it
  size_t m_file_index = 0;      // its index in files()
  std::deque<JobList> m_lists;  // the jobs_from: files, read once (a deque: groups point into them)
  std::unordered_map<std::string, Place> m_id_places;
  std::unordered_map<std::string, std::pair<std::string, Place>> m_folded_ids;  // lower-cased id -> (id, place)
  std::unordered_map<std::string, ImageCheck> m_image_cache;
  std::unordered_map<std::string, std::string> m_prompt_files;  // prompt_file entry -> its text
};

Error input_error(const Diagnostics& diags) {
  return {ErrorKind::input, to_string(diags)};
}

// Reports in document order, file by file (the manifest, then its job lists), whichever check
// found them; a variation repeats its job's problems, which are said once.
void put_in_order(Diagnostics& diags, size_t from, const std::vector<std::string>& files) {
  auto rank = [&](const Diagnostic& d) {
    return static_cast<size_t>(std::find(files.begin(), files.end(), d.file) - files.begin());
  };
  auto first = diags.begin() + static_cast<long>(from);
  std::stable_sort(first, diags.end(), [&](const auto& a, const auto& b) {
    return std::make_tuple(rank(a), a.pos.line, a.pos.col) < std::make_tuple(rank(b), b.pos.line, b.pos.col);
  });
  diags.erase(std::unique(first, diags.end(),
                          [](const auto& a, const auto& b) {
                            return a.file == b.file && a.pos.line == b.pos.line && a.pos.col == b.pos.col &&
                                   a.message == b.message;
                          }),
              diags.end());
}

// What to do with a CSV or JSONL given where a manifest goes: the lines of the manifest that reads
// it. (Taking it with default settings instead would leave its batch name, model and settings to
// guesses the user never sees; the manifest is three lines.)
std::string job_list_given(const fs::path& path) {
  std::string batch;
  for (char c : path.stem().string().substr(0, 64)) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
    batch += ok ? c : '-';
  }
  std::string name = path.filename().string();
  fs::path manifest = fs::path(path).replace_extension(".yaml");
  return fmt::format(
      "is a job list, not a manifest. A manifest is a YAML file that names the batch and where its jobs come "
      "from (docs/manifest.md); save these lines as {} beside it and give that file instead:\n"
      "  batch: {}\n"
      "  defaults: {{duration: 8, size: 1280*720}}\n"
      "  jobs_from: [{}]\n",
      manifest.string(), batch.empty() ? "shots" : batch, name);
}

}  // namespace

Result<Manifest> parse_manifest(std::string_view text, const ManifestSource& source, Diagnostics* out) {
  Diagnostics local;
  Diagnostics& diags = out ? *out : local;
  size_t before = diags.size();
  YamlDocument doc = parse_yaml(text, source.display_name, diags);
  if (diags.size() > before) {
    return input_error({diags.begin() + static_cast<long>(before), diags.end()});
  }
  if (doc.empty || doc.root.kind == YamlKind::null) {
    diags.push_back({source.display_name, {1, 1}, "manifest is empty; it needs at least batch: and jobs:"});
    return input_error({diags.begin() + static_cast<long>(before), diags.end()});
  }
  Schema::manifest().validate(doc.root, source.display_name, diags);
  Manifest m;
  std::vector<std::string> files = {source.display_name};
  if (doc.root.kind == YamlKind::mapping) {
    ManifestBuilder builder(source, diags);
    m = builder.build(doc.root);
    files = builder.files();
  }
  if (diags.size() > before) {
    put_in_order(diags, before, files);
    return input_error({diags.begin() + static_cast<long>(before), diags.end()});
  }
  return m;
}

fs::path job_file(const JobSpec& spec, const fs::path& manifest_path) {
  return spec.source_file.empty() ? manifest_path : manifest_path.parent_path() / spec.source_file;
}

std::string job_place(const JobSpec& spec, const fs::path& manifest_path) {
  return fmt::format("{}:{}:{}", job_file(spec, manifest_path).string(), spec.pos.line, spec.pos.col);
}

std::string describe_jobs(const Manifest& m) {
  std::string out = count_of(static_cast<long long>(m.jobs.size()), "job");
  std::string from;
  if (m.listed_jobs > 0) {
    from = fmt::format("{} from job lists", m.listed_jobs);
  }
  if (m.varied_jobs > 0) {
    from += fmt::format("{}{} made by vary:", from.empty() ? "" : ", ", m.varied_jobs);
  }
  return from.empty() ? out : fmt::format("{} ({})", out, from);
}

Result<Manifest> load_manifest(const fs::path& path, Diagnostics* diags) {
  if (looks_like_job_list(path)) {
    std::string why = job_list_given(path);
    if (diags) {
      diags->push_back({path.string(), {}, why.substr(0, why.find('\n'))});
    }
    return Error{ErrorKind::input, fmt::format("{}: {}", path.string(), why)};
  }
  std::error_code ec;
  std::ifstream in(path, std::ios::binary);
  if (!in || fs::is_directory(path, ec)) {
    std::string why = fs::is_directory(path, ec) ? "is a directory; give the manifest's file (FOLDER/NAME.yaml)"
                      : fs::exists(path, ec)     ? fmt::format("cannot be read: {}", std::strerror(errno))
                                                 : "not found";
    if (diags) {
      diags->push_back({path.string(), {}, why});
    }
    return Error{ErrorKind::input, fmt::format("{}: {}\n", path.string(), why)};
  }
  // A manifest of 100,000 jobs is about 12 MB; past the cap it is refused before it is read, so a
  // runaway file cannot exhaust memory.
  auto too_big = [&](std::string size) {
    std::string why = fmt::format(
        "is {}; reelq reads manifests of up to {} MB (about 500,000 jobs): split it into "
        "batches",
        size, k_max_manifest_bytes >> 20);
    if (diags) {
      diags->push_back({path.string(), {}, why});
    }
    return Error{ErrorKind::input, fmt::format("{}: {}\n", path.string(), why)};
  };
  if (auto size = fs::file_size(path, ec); !ec && size > k_max_manifest_bytes) {
    return too_big(fmt::format("{} MB", size >> 20));
  }
  // Read no more than the cap even so: a pipe, a device (/dev/zero) or a file growing while it is
  // read has no size to refuse it by.
  std::string text;
  char buf[64 * 1024];
  while (text.size() <= k_max_manifest_bytes && (in.read(buf, sizeof buf) || in.gcount() > 0)) {
    text.append(buf, static_cast<size_t>(in.gcount()));
  }
  if (text.size() > k_max_manifest_bytes) {
    return too_big(fmt::format("over {} MB", k_max_manifest_bytes >> 20));
  }
  // Relative paths are read from the folder of the manifest's own file, links resolved: a manifest
  // linked in from elsewhere reads its images and lists where the file is, as its queue lives there.
  fs::path real = fs::weakly_canonical(fs::absolute(path), ec);
  ManifestSource source{path.string(), (ec ? fs::absolute(path) : real).parent_path()};
  return parse_manifest(text, source, diags);
}

}  // namespace reelq
