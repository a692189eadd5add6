#include "report/html_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <ostream>

#include "report/review_page.h"
#include "util/text.h"
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
.card{background:var(--card);border-radius:8px;overflow:hidden;box-shadow:0 1px 2px #0002;border-top:4px solid var(--wait)}
.tile.dup{border-left:4px solid var(--warn)}.rehearsal{border-left:4px solid var(--warn);padding:6px 10px;margin:8px 0}.why code.url{word-break:break-all}
.card.succeeded{border-color:var(--ok)}.card.failed{border-color:var(--bad)}.card.running,.card.submitting,.card.downloading{border-color:var(--run)}
.media{aspect-ratio:16/9;background:#111;display:flex;align-items:center;justify-content:center;color:#bbb}
.media video{width:100%;height:100%;object-fit:contain;background:#000}
.body{padding:10px 14px}
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

// A picture named like the video beside it (skyline-t1.jpg for skyline-t1.mp4): reelq decodes no
// video, so a poster is one the user or a script (ffmpeg -frames:v 1) put there.
std::string poster_of(const fs::path& video) {
  for (const char* ext : {".jpg", ".jpeg", ".png", ".webp"}) {
    fs::path p = video;
    p.replace_extension(ext);
    std::error_code ec;
    if (fs::is_regular_file(p, ec)) {
      return p.string();
    }
  }
  return "";
}

// The player loads nothing until it comes near the viewport (the page's script sets its src from
// data-src): a page of a thousand takes must not fetch a thousand videos.
std::string media(const ReportRow& r, const BatchReport& b, const HtmlOptions& o) {
  std::string out;
  for (const auto& f : r.files) {
    if (!f.path.empty() && !b.output_dir.empty()) {
      fs::path video = fs::path(b.output_dir) / f.path;
      std::string poster = poster_of(video);
      out +=
          fmt::format(R"(<video data-src="{}"{} controls muted loop playsinline preload="none"></video>)",
                      html_escape(file_link(o.page_dir, video)),
                      poster.empty() ? "" : fmt::format(R"( poster="{}")", html_escape(file_link(o.page_dir, poster))));
      break;  // one player per take; every file is listed in the facts
    }
  }
  if (out.empty()) {
    out = html_escape(r.state == JobState::succeeded ? "file not on disk" : std::string(to_string(r.state)));
  }
  return "<div class=\"media\">" + out + "</div>";
}

// The reference images of an image-to-video job, beside its takes, each a picture linking to
// itself. Only http(s) URLs and local files become links; anything else is shown as text.
std::string reference_images(const ReportRow& r, const HtmlOptions& o) {
  std::string out;
  for (const auto& url : r.images) {
    std::string href = url.starts_with("file://") ? file_link(o.page_dir, url.substr(7))
                       : url.starts_with("https://") || url.starts_with("http://") ? url
                                                                                   : "";
    if (href.empty()) {
      out += fmt::format(R"(<figure class="ref">reference {}</figure>)", html_escape(url));
      continue;
    }
    out +=
        fmt::format(R"(<figure class="ref"><a href="{0}"><img src="{0}" alt="reference image {1}" loading="lazy"></a>)"
                    R"(<figcaption>reference</figcaption></figure>)",
                    html_escape(href), html_escape(url));
  }
  return out;
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

std::string take_facts(const ReportRow& r, const BatchReport& b, const HtmlOptions& o) {
  std::vector<std::string> facts;
  if (auto secs = r.render_seconds()) {
    facts.push_back(html_escape(fmt::format("rendered in {}", format_duration(static_cast<TimeMs>(*secs * 1000)))));
  }
  if (!r.task_id.empty()) {
    facts.push_back(html_escape("task " + r.task_id));
  }
  facts.push_back(fmt::format("{} attempt{}", r.attempts, r.attempts == 1 ? "" : "s"));
  for (const auto& f : r.files) {
    if (!f.path.empty()) {
      std::string text = html_escape(fmt::format("{} ({} bytes)", f.path, f.bytes));
      facts.push_back(b.output_dir.empty()
                          ? text
                          : fmt::format(R"(<a href="{}">{}</a>)",
                                        html_escape(file_link(o.page_dir, fs::path(b.output_dir) / f.path)), text));
    }
  }
  std::string out;
  for (const auto& f : facts) {
    out += (out.empty() ? "" : " · ") + f;
  }
  return out;
}

// One take: its player, state, mark (set by the script) and facts. data-* is what the script
// filters, marks and exports by.
std::string take(const ReportRow& r, const BatchReport& b, const HtmlOptions& o) {
  std::string state(to_string(r.state));
  std::string out =
      fmt::format(R"(<div class="take {}" id="{}" data-job="{}" data-take="{}" data-state="{}" data-code="{}">)", state,
                  html_escape(fmt::format("{}-t{}", r.job_id, r.take)), html_escape(r.job_id), r.take, state,
                  html_escape(r.fail_code));
  out += media(r, b, o);
  out += fmt::format(R"(<div class="body"><b>take {}</b> <span class="badge {}">{}</span><span class="mark"></span>)",
                     r.take, state, state);
  out += fmt::format(R"(<p class="facts">{}</p>)", take_facts(r, b, o));
  if (!r.fail_code.empty() || !r.fail_msg.empty()) {
    out += failure(r);
  }
  if (!r.note.empty()) {
    // A rehearsal charged nothing: its "possible duplicate charge" is what the real run would risk.
    bool money = r.note.find("charge") != std::string::npos;
    out += fmt::format(R"(<p class="note">{}{}</p>)", html_escape(r.note),
                       b.rehearsal && money ? " (in the real run; a rehearsal charges nothing)" : "");
  }
  return out + "</div></div>";
}

// One job: what was asked once, then its reference images and its takes side by side.
std::string job_card(const std::vector<const ReportRow*>& takes, const BatchReport& b, const HtmlOptions& o) {
  const ReportRow& first = *takes.front();
  JobState worst = first.state;
  for (const ReportRow* r : takes) {
    worst = state_rank(r->state) < state_rank(worst) ? r->state : worst;
  }
  // A job with one take and no reference tiles the grid like a contact sheet; more takes or a
  // reference take the whole row, side by side.
  bool wide = takes.size() + first.images.size() > 1;
  std::string out = fmt::format(R"(<article class="card job {}{}" data-job="{}">)", to_string(worst),
                                wide ? " wide" : "", html_escape(first.job_id));
  out += fmt::format(R"(<div class="head"><h3>{}</h3><p class="facts">{}</p></div>)", html_escape(first.job_id),
                     html_escape(fmt::format("{} · {} s · {} · {} take{}", first.mode, first.duration,
                                             first.size.empty() ? first.resolution : first.size, takes.size(),
                                             takes.size() == 1 ? "" : "s")));
  out += fmt::format(R"(<p class="prompt">{}</p><div class="row">)", html_escape(first.prompt));
  out += reference_images(first, o);
  for (const ReportRow* r : takes) {
    out += take(*r, b, o);
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
    // does not say); the balance read around the runs settles it. A rehearsal's figures are what
    // the real run would cost: nothing was charged, so none of its warnings about money apply.
    out += fmt::format(R"(<div class="tile spend"><b>{}</b>{}: {} rendered take{} ({} task{} created)</div>)",
                       html_escape(format_money(b.spend->rendered_cost, b.currency)),
                       b.rehearsal ? "simulated, nothing charged" : "spent", b.spend->rendered,
                       b.spend->rendered == 1 ? "" : "s", b.spend->tasks, b.spend->tasks == 1 ? "" : "s");
    if (b.spend->failed > 0 && !b.rehearsal) {
      out += fmt::format(R"(<div class="tile dup"><b>{}</b>failed task{} possibly charged (up to {})</div>)",
                         b.spend->failed, b.spend->failed == 1 ? "" : "s",
                         html_escape(format_money(b.spend->failed_cost, b.currency)));
    }
    if (b.spend->possible > 0 && !b.rehearsal) {
      out += fmt::format(R"(<div class="tile dup"><b>{}</b>possible duplicate charge{} (up to {})</div>)",
                         b.spend->possible, b.spend->possible == 1 ? "" : "s",
                         html_escape(format_money(b.spend->possible_cost, b.currency)));
    }
    if (std::string keys = describe_by_key(b.spend_by_key, b.currency); !keys.empty()) {
      out += fmt::format(R"(<div class="tile spend">by key: {}</div>)", html_escape(keys));
    }
    if (std::string line = describe_balance(b.balance, b.spend_in_read, b.currency); !line.empty() && !b.rehearsal) {
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

// The takes grouped by job, in manifest order, then jobs needing a decision first (a job ranks as
// its most urgent take).
std::vector<std::vector<const ReportRow*>> jobs_in_order(const BatchReport& b) {
  std::vector<std::vector<const ReportRow*>> jobs;
  std::map<std::string, size_t> index;
  for (const auto& r : b.rows) {
    auto [it, added] = index.emplace(r.job_id, jobs.size());
    if (added) {
      jobs.emplace_back();
    }
    jobs[it->second].push_back(&r);
  }
  auto rank = [](const std::vector<const ReportRow*>& takes) {
    int best = state_rank(takes.front()->state);
    for (const ReportRow* r : takes) {
      best = std::min(best, state_rank(r->state));
    }
    return best;
  };
  std::stable_sort(jobs.begin(), jobs.end(), [&](const auto& a, const auto& c) { return rank(a) < rank(c); });
  return jobs;
}

// The filters (state and fail code counted here; the marks' counts are the script's) and Export.
std::string toolbar(const BatchReport& b) {
  std::map<JobState, int> states;
  std::map<std::string, int> codes;
  for (const auto& r : b.rows) {
    ++states[r.state];
    if (!r.fail_code.empty()) {
      ++codes[r.fail_code];
    }
  }
  std::string out = R"(<div class="toolbar"><label>state <select class="f-state"><option value="">all)";
  out += fmt::format(" ({})</option>", b.rows.size());
  for (const auto& [state, n] : states) {
    out += fmt::format(R"(<option value="{0}">{0} ({1})</option>)", to_string(state), n);
  }
  out += R"(</select></label> <label>fail code <select class="f-code"><option value="">all</option>)";
  for (const auto& [code, n] : codes) {
    out += fmt::format(R"(<option value="{0}">{0} ({1})</option>)", html_escape(code), n);
  }
  out += R"(</select></label> <label>mark <select class="f-mark"><option value="">all</option>)"
         R"(<option value="keep" data-label="picked or starred">picked or starred</option>)"
         R"(<option value="pick" data-label="picked">picked</option>)"
         R"(<option value="star" data-label="starred">starred</option>)"
         R"(<option value="reject" data-label="rejected">rejected</option>)"
         R"(<option value="none" data-label="unmarked">unmarked</option></select></label>)"
         R"( <span class="shown"></span> <button class="export" type="button">Export marks</button>)"
         R"( <button class="help" type="button">Keys <kbd>?</kbd></button> <span class="status"></span></div>)";
  return out;
}

void write_batch(const BatchReport& b, const HtmlOptions& o, std::ostream& out) {
  out << fmt::format("<header><h1>reelq · batch {}</h1><p class=\"meta\">model {} · report made {}{}</p></header>\n",
                     html_escape(b.name), html_escape(b.model), iso_utc(o.generated_at),
                     b.output_dir.empty() ? "" : " · files in " + html_escape(b.output_dir));
  if (b.rehearsal) {
    out << "<p class=\"rehearsal\">A rehearsal (<code>reelq run --rehearse</code>): rendered by reelq's simulator. "
           "The videos are placeholders and nothing was charged.</p>\n";
  }
  out << totals(b) << timeline(b, o.generated_at);
  out << "<section class=\"review\"><script type=\"application/json\" class=\"review-data\">"
      << script_safe_json(fmt::format(R"({{"batch":{},"queue":{}}})", json_quote(b.name), json_quote(b.queue_id)))
      << "</script><h2>Renders</h2>" << toolbar(b) << "<div class=\"jobs\">\n";
  for (const auto& takes : jobs_in_order(b)) {
    out << job_card(takes, b, o);
  }
  out << "</div></section>\n";
}

constexpr std::string_view k_help = R"(<div id="help" hidden><div><h2>Keys</h2><table>
<tr><td><kbd>j</kbd> <kbd>&rarr;</kbd></td><td>next take</td></tr>
<tr><td><kbd>k</kbd> <kbd>&larr;</kbd></td><td>previous take</td></tr>
<tr><td><kbd>J</kbd> <kbd>&darr;</kbd></td><td>next job</td></tr>
<tr><td><kbd>K</kbd> <kbd>&uarr;</kbd></td><td>previous job</td></tr>
<tr><td><kbd>p</kbd></td><td>pick (again: unmark)</td></tr>
<tr><td><kbd>s</kbd></td><td>star (again: unmark)</td></tr>
<tr><td><kbd>x</kbd></td><td>reject (again: unmark)</td></tr>
<tr><td><kbd>u</kbd></td><td>unmark</td></tr>
<tr><td><kbd>space</kbd></td><td>play / pause</td></tr>
<tr><td><kbd>e</kbd></td><td>export the marks (picks-BATCH.json, for reelq deliver --picks)</td></tr>
<tr><td><kbd>?</kbd> <kbd>Esc</kbd></td><td>this help / close it</td></tr>
</table><p class="meta">Marks are kept in this browser for this batch and database.</p></div></div>
)";

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
      << fmt::format("<title>reelq report: {}</title><style>{}{}</style></head><body>\n", html_escape(title), k_style,
                     k_review_style);
  for (const auto& b : batches) {
    write_batch(b, options, out);
  }
  if (batches.empty()) {
    out << "<header><h1>reelq</h1><p class=\"meta\">No batches in this database.</p></header>\n";
  }
  out << k_help << "<script>" << k_review_script << "</script></body></html>\n";
}

}  // namespace reelq
