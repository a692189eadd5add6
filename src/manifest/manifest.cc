#include "manifest/manifest.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <tuple>
#include <unordered_map>

#include "manifest/image_check.h"
#include "manifest/schema.h"
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

// Turns the schema-checked tree into specs and applies the rules a schema cannot say: defaults,
// mode-dependent fields, unique ids, readable images. Tolerant of shape errors already reported.
class ManifestBuilder {
 public:
  ManifestBuilder(const ManifestSource& source, Diagnostics& errors) : m_source(source), m_errors(errors) {}

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
    const YamlNode* jobs = root.find("jobs");
    if (jobs && jobs->kind == YamlKind::sequence) {
      m.jobs.reserve(jobs->items.size());
      for (size_t i = 0; i < jobs->items.size(); ++i) {
        if (jobs->items[i].kind == YamlKind::mapping) {
          m.jobs.push_back(build_job(jobs->items[i], *defaults, i));
        }
      }
    }
    return m;
  }

 private:
  void error(SourcePos pos, std::string message) {
    m_errors.push_back({m_source.display_name, pos, std::move(message)});
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

  JobSpec build_job(const YamlNode& job, const YamlNode& defaults, size_t index) {
    JobSpec spec;
    spec.pos = job.pos;
    check_id(job, index, spec);

    const YamlNode* prompt = field(job, defaults, "prompt");
    if (!prompt) {
      error(job.pos, fmt::format("job '{}' has no prompt (and defaults give none)", spec.id));
    } else if (prompt->kind == YamlKind::scalar) {
      spec.prompt = prompt->text;
      check_utf8(*prompt, "prompt");
    }
    if (auto d = small_int(field(job, defaults, "duration"))) {
      spec.duration = *d;
    }
    if (auto t = small_int(field(job, defaults, "takes"))) {
      spec.takes = *t;
    }
    resolve_mode(job, defaults, spec);
    return spec;
  }

  // Text that reelq stores and sends as JSON must be UTF-8: the API refuses anything else, and so
  // does reelq reading its own queue back at the next run.
  bool check_utf8(const YamlNode& v, std::string_view what) {
    size_t bad = find_invalid_utf8(v.text);
    if (bad != std::string::npos) {
      error(v.pos, fmt::format("{} is not valid UTF-8 (byte {} of the text)", what, bad + 1));
    }
    return bad == std::string::npos;
  }

  void check_id(const YamlNode& job, size_t index, JobSpec& spec) {
    const YamlNode* id = job.find("id");
    SourcePos pos = id ? id->pos : job.pos;
    spec.id = id && id->kind == YamlKind::scalar ? id->text : fmt::format("job-{:04}", index + 1);
    auto [it, inserted] = m_id_lines.emplace(spec.id, pos.line);
    if (!inserted) {
      error(pos, fmt::format("duplicate job id '{}' (first at line {})", spec.id, it->second));
      return;
    }
    // Files are named after ids; on a case-insensitive disk (macOS, Windows, most USB drives)
    // 'Clip' and 'clip' would write one file.
    std::string folded = spec.id;
    std::transform(folded.begin(), folded.end(), folded.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    auto [first, fresh] = m_folded_ids.emplace(folded, std::make_pair(spec.id, pos.line));
    if (!fresh) {
      error(pos, fmt::format("job id '{}' differs from '{}' (line {}) only in case; their files would be one file "
                             "on a case-insensitive disk",
                             spec.id, first->second.first, first->second.second));
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
      if (img.kind == YamlKind::scalar && !img.text.empty() && check_utf8(img, "image")) {
        spec.images.push_back(checked_image(img));
      }
    }
  }

  std::string checked_image(const YamlNode& img) {
    // Large batches reuse a few reference images; look at each file once.
    auto it = m_image_cache.find(img.text);
    if (it == m_image_cache.end()) {
      it = m_image_cache.emplace(img.text, check_image(img.text, m_source.base_dir)).first;
    }
    if (!it->second.problem.empty()) {
      error(img.pos, it->second.problem);
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
      if (e.value.kind != YamlKind::scalar || !check_utf8(e.value, e.key)) {
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
  std::unordered_map<std::string, int> m_id_lines;
  std::unordered_map<std::string, std::pair<std::string, int>> m_folded_ids;  // lower-cased id -> (id, line)
  std::unordered_map<std::string, ImageCheck> m_image_cache;
};

Error input_error(const Diagnostics& diags) {
  return {ErrorKind::input, to_string(diags)};
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
  if (doc.root.kind == YamlKind::mapping) {
    m = ManifestBuilder(source, diags).build(doc.root);
  }
  if (diags.size() > before) {
    // Report in document order, whichever check found them.
    std::stable_sort(diags.begin() + static_cast<long>(before), diags.end(), [](const auto& a, const auto& b) {
      return std::tie(a.pos.line, a.pos.col) < std::tie(b.pos.line, b.pos.col);
    });
    return input_error({diags.begin() + static_cast<long>(before), diags.end()});
  }
  return m;
}

Result<Manifest> load_manifest(const fs::path& path, Diagnostics* diags) {
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
  ManifestSource source{path.string(), fs::absolute(path).parent_path()};
  return parse_manifest(text, source, diags);
}

}  // namespace reelq
