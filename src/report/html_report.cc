#include "report/html_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <ostream>

#include "util/time_text.h"

namespace reelq {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view k_style = R"css(
:root{--ok:#2e7d32;--bad:#c62828;--run:#1565c0;--wait:#757575;--warn:#ef6c00;--bg:#f6f6f4;--card:#fff}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;background:var(--bg);color:#222}
header,section{max-width:1200px;margin:0 auto;padding:12px 20px}h1{font-size:22px;margin:18px 0 4px}
h2{font-size:16px;margin:18px 0 8px}.meta{color:#666;margin:0}
.totals{display:flex;flex-wrap:wrap;gap:10px}.tile{background:var(--card);border-radius:8px;padding:10px 14px;min-width:120px;box-shadow:0 1px 2px #0002}
.tile b{display:block;font-size:24px}.tile.succeeded b{color:var(--ok)}.tile.failed b{color:var(--bad)}.tile.running b{color:var(--run)}
.codes{margin:8px 0 0;padding:0;list-style:none;display:flex;gap:8px;flex-wrap:wrap}.codes li{background:#fde7e7;color:var(--bad);border-radius:4px;padding:2px 8px}
.timeline svg{width:100%;height:auto;background:var(--card);border-radius:8px;box-shadow:0 1px 2px #0002}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:14px}
.card{background:var(--card);border-radius:8px;overflow:hidden;box-shadow:0 1px 2px #0002;border-top:4px solid var(--wait)}
.tile.dup{border-left:4px solid var(--warn)}.refs img{max-height:72px;max-width:128px;border-radius:4px;vertical-align:middle;margin-left:4px}.why code.url{word-break:break-all}
.card.succeeded{border-color:var(--ok)}.card.failed{border-color:var(--bad)}.card.running,.card.submitting,.card.downloading{border-color:var(--run)}
.media{aspect-ratio:16/9;background:#111;display:flex;align-items:center;justify-content:center;color:#bbb}
.media video{width:100%;height:100%;object-fit:contain;background:#000}
.body{padding:10px 14px}.body h3{margin:0 0 4px;font-size:15px;word-break:break-all}.take{color:#666;font-weight:normal}
.badge{display:inline-block;border-radius:4px;padding:0 6px;font-size:12px;color:#fff;background:var(--wait)}
.badge.succeeded{background:var(--ok)}.badge.failed{background:var(--bad)}.badge.running,.badge.submitting,.badge.downloading{background:var(--run)}
.prompt{white-space:pre-wrap;margin:6px 0}.facts{color:#555;font-size:12px;margin:0}.why{color:var(--bad);margin:6px 0 0}
.note{color:var(--warn);margin:6px 0 0;font-weight:600}
)css";

// Lower sorts first: what needs a decision in the morning comes first.
int state_rank(JobState s) {
  switch (s) {
    case JobState::failed:
      return 0;
    case JobState::cancelled:
      return 1;
    case JobState::submitting:
    case JobState::running:
    case JobState::downloading:
      return 2;
    case JobState::queued:
      return 3;
    case JobState::succeeded:
      return 4;
  }
  return 5;
}

std::string state_color(JobState s) {
  switch (s) {
    case JobState::succeeded:
      return "#2e7d32";
    case JobState::failed:
      return "#c62828";
    case JobState::cancelled:
    case JobState::queued:
      return "#757575";
    default:
      return "#1565c0";
  }
}

// Short batches (rehearsals, the demo) need tenths of a second to tell ticks apart.
std::string tick_label(TimeMs offset, TimeMs span) {
  return span < 60000 ? fmt::format("{:.1f}s", static_cast<double>(offset) / 1000.0) : format_duration(offset);
}

std::string take_label(const ReportRow& r) {
  return r.takes > 1 ? fmt::format(" <span class=\"take\">take {}/{}</span>", r.take, r.takes) : "";
}

std::string media(const ReportRow& r, const BatchReport& b, const HtmlOptions& o) {
  std::string out;
  for (const auto& f : r.files) {
    if (!f.path.empty() && !b.output_dir.empty()) {
      out += fmt::format(R"(<video src="{}" controls muted loop playsinline preload="metadata"></video>)",
                         html_escape(file_link(o.page_dir, fs::path(b.output_dir) / f.path)));
      break;  // one player per card; every file is listed in the facts
    }
  }
  if (out.empty()) {
    out = html_escape(r.state == JobState::succeeded ? "file not on disk" : std::string(to_string(r.state)));
  }
  return "<div class=\"media\">" + out + "</div>";
}

// The reference images of an image-to-video take, each a small picture linking to itself. Only
// http(s) URLs and local files become links; anything else is shown as text.
std::string reference_images(const ReportRow& r, const HtmlOptions& o) {
  if (r.images.empty()) {
    return "";
  }
  std::string out = R"(<p class="refs">reference )";
  for (const auto& url : r.images) {
    std::string href = url.starts_with("file://") ? file_link(o.page_dir, url.substr(7))
                       : url.starts_with("https://") || url.starts_with("http://") ? url
                                                                                   : "";
    if (href.empty()) {
      out += html_escape(url) + " ";
      continue;
    }
    out += fmt::format(R"(<a href="{0}"><img src="{0}" alt="reference image {1}" loading="lazy"></a>)",
                       html_escape(href), html_escape(url));
  }
  return out + "</p>";
}

// Why a take failed; for INVALID_IMAGE_URL the API does not say which image, so name them.
std::string failure(const ReportRow& r) {
  std::string out = fmt::format(R"(<p class="why"><b>{}</b> {})", html_escape(r.fail_code), html_escape(r.fail_msg));
  if (r.fail_code == "INVALID_IMAGE_URL") {
    for (const auto& url : r.images) {
      out += fmt::format(R"( <code class="url">{}</code>)", html_escape(url));
    }
  }
  return out + "</p>";
}

std::string card(const ReportRow& r, const BatchReport& b, const HtmlOptions& o) {
  std::string state(to_string(r.state));
  std::vector<std::string> facts;
  facts.push_back(fmt::format("{} · {} s · {}", r.mode, r.duration, r.size.empty() ? r.resolution : r.size));
  if (auto secs = r.render_seconds()) {
    facts.push_back(fmt::format("rendered in {}", format_duration(static_cast<TimeMs>(*secs * 1000))));
  }
  if (!r.task_id.empty()) {
    facts.push_back("task " + r.task_id);
  }
  facts.push_back(fmt::format("{} attempt{}", r.attempts, r.attempts == 1 ? "" : "s"));
  for (const auto& f : r.files) {
    if (!f.path.empty()) {
      facts.push_back(fmt::format("{} ({} bytes)", f.path, f.bytes));
    }
  }
  std::string fact_text;
  for (const auto& f : facts) {
    fact_text += (fact_text.empty() ? "" : " · ") + html_escape(f);
  }
  std::string out =
      fmt::format(R"(<article class="card {}" id="{}">)", state, html_escape(fmt::format("{}-t{}", r.job_id, r.take)));
  out += media(r, b, o);
  out += fmt::format(R"(<div class="body"><h3>{}{}</h3><span class="badge {}">{}</span>)", html_escape(r.job_id),
                     take_label(r), state, state);
  out += fmt::format(R"(<p class="prompt">{}</p><p class="facts">{}</p>)", html_escape(r.prompt), fact_text);
  out += reference_images(r, o);
  if (!r.fail_code.empty() || !r.fail_msg.empty()) {
    out += failure(r);
  }
  if (!r.note.empty()) {
    out += fmt::format(R"(<p class="note">{}</p>)", html_escape(r.note));
  }
  return out + "</div></article>\n";
}

std::string totals(const BatchReport& b) {
  std::map<JobState, int> counts;
  std::map<std::string, int> codes;
  int video_seconds = 0;
  double render_seconds = 0;
  std::optional<TimeMs> first;
  std::optional<TimeMs> last;
  for (const auto& r : b.rows) {
    ++counts[r.state];
    if (r.state == JobState::failed) {
      ++codes[r.fail_code.empty() ? "UNKNOWN" : r.fail_code];
    }
    if (r.state == JobState::succeeded) {
      video_seconds += r.duration;
    }
    render_seconds += r.render_seconds().value_or(0);
    if (auto from = r.ran_from()) {
      first = std::min(first.value_or(*from), *from);
    }
    if (r.completed_at > 0) {
      last = std::max(last.value_or(r.completed_at), r.completed_at);
    }
  }
  std::string out = "<section class=\"totals\">";
  out += fmt::format(R"(<div class="tile"><b>{}</b>renders</div>)", b.rows.size());
  for (JobState s : k_all_states) {
    if (counts[s] > 0 || s == JobState::succeeded || s == JobState::failed) {
      out += fmt::format(R"(<div class="tile {}"><b>{}</b>{}</div>)", to_string(s), counts[s], to_string(s));
    }
  }
  out += fmt::format(R"(<div class="tile"><b>{}</b>seconds of video on disk</div>)", video_seconds);
  out += fmt::format(R"(<div class="tile"><b>{}</b>of rendering</div>)",
                     format_duration(static_cast<TimeMs>(render_seconds * 1000)));
  if (first && last && *last > *first) {
    out +=
        fmt::format(R"(<div class="tile"><b>{}</b>first submit to last result</div>)", format_duration(*last - *first));
  }
  if (b.spend) {
    // Money first among the warnings: a possible duplicate charge is what a user must check.
    // Spent is what is known: the rendered takes. Failed tasks may or may not be charged (apixo
    // does not say); the balance read around the runs settles it.
    out += fmt::format(R"(<div class="tile spend"><b>{}</b>spent: {} rendered take{} ({} task{} created)</div>)",
                       html_escape(format_money(b.spend->rendered_cost, b.currency)), b.spend->rendered,
                       b.spend->rendered == 1 ? "" : "s", b.spend->tasks, b.spend->tasks == 1 ? "" : "s");
    if (b.spend->failed > 0) {
      out += fmt::format(R"(<div class="tile dup"><b>{}</b>failed task{} possibly charged (up to {})</div>)",
                         b.spend->failed, b.spend->failed == 1 ? "" : "s",
                         html_escape(format_money(b.spend->failed_cost, b.currency)));
    }
    if (b.spend->possible > 0) {
      out += fmt::format(R"(<div class="tile dup"><b>{}</b>possible duplicate charge{} (up to {})</div>)",
                         b.spend->possible, b.spend->possible == 1 ? "" : "s",
                         html_escape(format_money(b.spend->possible_cost, b.currency)));
    }
    if (std::string line = describe_balance(b.balance, b.spend_in_read, b.currency); !line.empty()) {
      out += fmt::format(R"(<div class="tile balance">balance: {}</div>)", html_escape(line));
    }
  }
  out += "</section>\n";
  if (!codes.empty()) {
    out += "<section><ul class=\"codes\">";
    for (const auto& [code, n] : codes) {
      out += fmt::format("<li>{} × {}</li>", html_escape(code), n);
    }
    out += "</ul></section>\n";
  }
  return out;
}

std::string timeline(const BatchReport& b, TimeMs now) {
  std::vector<std::pair<TimeMs, TimeMs>> spans;
  std::vector<const ReportRow*> rows;
  for (const auto& r : b.rows) {
    if (auto from = r.ran_from()) {
      spans.emplace_back(*from, std::max(*from, r.ran_until().value_or(now)));
      rows.push_back(&r);
    }
  }
  if (spans.empty()) {
    return "<section class=\"timeline\"><h2>Timeline</h2><p class=\"meta\">No task has been submitted yet.</p>"
           "</section>\n";
  }
  std::vector<int> lanes = assign_lanes(spans);
  int lane_count = std::max(b.max_concurrent, *std::max_element(lanes.begin(), lanes.end()) + 1);
  TimeMs t0 = spans.front().first;
  TimeMs t1 = spans.front().second;
  for (const auto& [from, until] : spans) {
    t0 = std::min(t0, from);
    t1 = std::max(t1, until);
  }
  TimeMs span = std::max<TimeMs>(1, t1 - t0);
  const int left = 60, width = 1100, lane_h = 20, top = 10;
  int height = top + lane_count * lane_h + 30;
  auto x = [&](TimeMs t) {
    return left + static_cast<double>(t - t0) * (width - left - 10) / static_cast<double>(span);
  };
  std::string svg = fmt::format(
      R"(<svg viewBox="0 0 {} {}" role="img" aria-label="tasks over time against the {} concurrency slots">)", width,
      height, b.max_concurrent);
  for (int l = 0; l < lane_count; ++l) {
    int y = top + l * lane_h;
    svg += fmt::format(R"(<text x="4" y="{}" font-size="11" fill="{}">slot {}</text>)", y + 14,
                       l < b.max_concurrent ? "#555" : "#c62828", l + 1);
    svg += fmt::format(R"(<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#eee"/>)", left, width - 10, y + lane_h,
                       y + lane_h);
  }
  for (size_t i = 0; i < spans.size(); ++i) {
    const ReportRow& r = *rows[i];
    double x0 = x(spans[i].first);
    double w = std::max(2.0, x(spans[i].second) - x0);
    svg +=
        fmt::format(R"(<rect x="{:.1f}" y="{}" width="{:.1f}" height="{}" rx="3" fill="{}"><title>{}</title></rect>)",
                    x0, top + lanes[i] * lane_h + 2, w, lane_h - 4, state_color(r.state),
                    html_escape(fmt::format("{} take {}: {}, {} to {}", r.job_id, r.take, to_string(r.state),
                                            iso_utc(spans[i].first), iso_utc(spans[i].second))));
  }
  int axis_y = top + lane_count * lane_h + 18;
  for (int k = 0; k <= 5; ++k) {
    TimeMs t = t0 + span * k / 5;
    svg += fmt::format(R"(<text x="{:.1f}" y="{}" font-size="11" fill="#555" text-anchor="middle">+{}</text>)",
                       std::clamp(x(t), static_cast<double>(left + 15), static_cast<double>(width - 30)), axis_y,
                       tick_label(t - t0, span));
  }
  svg += "</svg>";
  return fmt::format(
      "<section class=\"timeline\"><h2>Timeline</h2><p class=\"meta\">Each bar is a task at the API, from "
      "creation to completion, packed into the {} concurrency slots; from {}.</p>{}</section>\n",
      b.max_concurrent, iso_utc(t0), svg);
}

void write_batch(const BatchReport& b, const HtmlOptions& o, std::ostream& out) {
  out << fmt::format("<header><h1>reelq · batch {}</h1><p class=\"meta\">model {} · report made {}{}</p></header>\n",
                     html_escape(b.name), html_escape(b.model), iso_utc(o.generated_at),
                     b.output_dir.empty() ? "" : " · files in " + html_escape(b.output_dir));
  out << totals(b) << timeline(b, o.generated_at);
  std::vector<const ReportRow*> order;
  for (const auto& r : b.rows) {
    order.push_back(&r);
  }
  std::stable_sort(order.begin(), order.end(),
                   [](const ReportRow* a, const ReportRow* c) { return state_rank(a->state) < state_rank(c->state); });
  out << "<section><h2>Renders</h2><div class=\"cards\">\n";
  for (const ReportRow* r : order) {
    out << card(*r, b, o);
  }
  out << "</div></section>\n";
}

bool unreserved(unsigned char c) {
  return std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string file_link(const fs::path& page_dir, const fs::path& file) {
  fs::path rel = fs::absolute(file).lexically_normal().lexically_relative(fs::absolute(page_dir).lexically_normal());
  bool relative = !rel.empty();
  fs::path p = relative ? rel : fs::absolute(file).lexically_normal();
  std::string out = relative ? "" : "file://";
  bool first = true;
  for (const auto& part : p) {
    std::string s = part.string();
    if (s == "/") {
      out += "/";
      continue;
    }
    if (!first && !out.ends_with('/')) {
      out += "/";
    }
    first = false;
    for (unsigned char c : s) {
      out += unreserved(c) ? std::string(1, static_cast<char>(c)) : fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::vector<int> assign_lanes(const std::vector<std::pair<TimeMs, TimeMs>>& intervals) {
  std::vector<size_t> order(intervals.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return intervals[a].first < intervals[b].first; });
  std::vector<TimeMs> lane_free_at;
  std::vector<int> lanes(intervals.size(), 0);
  for (size_t i : order) {
    size_t lane = 0;
    while (lane < lane_free_at.size() && lane_free_at[lane] > intervals[i].first) {
      ++lane;
    }
    if (lane == lane_free_at.size()) {
      lane_free_at.push_back(0);
    }
    lane_free_at[lane] = intervals[i].second;
    lanes[i] = static_cast<int>(lane);
  }
  return lanes;
}

void write_html(const std::vector<BatchReport>& batches, const HtmlOptions& options, std::ostream& out) {
  std::string title = batches.size() == 1 ? batches.front().name : fmt::format("{} batches", batches.size());
  out << "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
         "<link rel=\"icon\" href=\"data:,\">"
      << fmt::format("<title>reelq report: {}</title><style>{}</style></head><body>\n", html_escape(title), k_style);
  for (const auto& b : batches) {
    write_batch(b, options, out);
  }
  if (batches.empty()) {
    out << "<header><h1>reelq</h1><p class=\"meta\">No batches in this database.</p></header>\n";
  }
  out << "</body></html>\n";
}

}  // namespace reelq
