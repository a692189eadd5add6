#pragma once
// The report as one self-contained HTML page to read in the morning: totals, a timeline of the
// tasks against the concurrency slots, then a card per take (failures first) with the video
// playing inline from the downloaded file. No scripts, no fetches: CSS and SVG inline.
#include <filesystem>
#include <iosfwd>
#include <vector>

#include "report/report_data.h"

namespace reelq {

struct HtmlOptions {
  TimeMs generated_at = 0;
  // The folder the page will be opened from: video links are relative to it, so the report and
  // the renders can be moved together.
  std::filesystem::path page_dir;
};

void write_html(const std::vector<BatchReport>& batches, const HtmlOptions& options, std::ostream& out);

// The link from `page_dir` to `file`: relative when it can be, percent-encoded per segment.
std::string file_link(const std::filesystem::path& page_dir, const std::filesystem::path& file);

// Lanes for the timeline: tasks (start, end) sorted by start, each given the lowest lane free at
// its start. Returns the lane of each interval, in the order given.
std::vector<int> assign_lanes(const std::vector<std::pair<TimeMs, TimeMs>>& intervals);

std::string html_escape(std::string_view text);

}  // namespace reelq
