// Reports from a real batch run in-process against the simulator: the CSV, JSON and HTML writers
// read the same rows, so each test checks what a person or a program reading them would rely on.
#include <Poco/JSON/Parser.h>
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "report/csv.h"
#include "report/html_report.h"
#include "report/json_report.h"
#include "report/report_data.h"
#include "report/report_file.h"
#include "report/review_page.h"
#include "support/run_harness.h"

using namespace reelq;
namespace fs = std::filesystem;

namespace {

const char* k_batch = R"(batch: night
defaults: {duration: 8, size: 1280*720}
jobs:
  - id: fine
    prompt: "a calm sea, \"quoted\", with commas"
  - id: bad
    prompt: "VIOLATEME at sea"
  - id: twice
    prompt: "two takes"
    takes: 2
  - id: i2v
    mode: image-to-video
    resolution: 1080p
    prompt: "move"
    images: [https://example.com/a.jpg]
)";

std::vector<BatchReport> reports_of(test::RunHarness& h, WithEvents events = WithEvents::no) {
  auto r = load_reports(h.queue->db(), std::nullopt, events);
  REQUIRE(r.ok());
  return r.value();
}

// A minimal RFC 4180 reader, to read back what the writer wrote.
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().push_back(std::exchange(field, ""));
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      rows.back().push_back(std::exchange(field, ""));
      rows.emplace_back();
      ++i;
    } else {
      field += c;
    }
  }
  rows.pop_back();  // after the last CRLF
  return rows;
}

}  // namespace

TEST_CASE("csv_field quotes exactly what RFC 4180 needs quoted") {
  CHECK(csv_field("plain text") == "plain text");
  CHECK(csv_field("a,b") == "\"a,b\"");
  CHECK(csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(csv_field("two\nlines") == "\"two\nlines\"");
  CHECK(csv_field("cr\r") == "\"cr\r\"");
  CHECK(csv_field("日本語 🎬") == "日本語 🎬");
  CHECK(csv_field("") == "");
}

TEST_CASE("the CSV has the documented columns and one row per take, in manifest order") {
  test::RunHarness h;
  h.enqueue(k_batch);
  REQUIRE(h.run().end == RunEnd::finished);
  std::ostringstream out;
  write_csv(reports_of(h), out);
  auto rows = parse_csv(out.str());
  REQUIRE(rows.size() == 6);
  CHECK(rows[0] == std::vector<std::string>(csv_columns().begin(), csv_columns().end()));
  CHECK(rows[0].size() == 22);
  auto col = [&](const char* name) {
    auto it = std::find(csv_columns().begin(), csv_columns().end(), name);
    REQUIRE(it != csv_columns().end());
    return static_cast<size_t>(it - csv_columns().begin());
  };
  std::vector<std::string> ids;
  for (size_t i = 1; i < rows.size(); ++i) {
    REQUIRE(rows[i].size() == 22);
    ids.push_back(rows[i][col("job_id")] + "/" + rows[i][col("take")]);
  }
  CHECK(ids == std::vector<std::string>{"fine/1", "bad/1", "twice/1", "twice/2", "i2v/1"});
  const auto& fine = rows[1];
  CHECK(fine[col("prompt")] == "a calm sea, \"quoted\", with commas");
  CHECK(fine[col("state")] == "succeeded");
  CHECK(fine[col("file")] == "fine-t1.mp4");
  CHECK(fine[col("bytes")] == "28");
  CHECK(fine[col("sha256")].size() == 64);
  CHECK(fine[col("submitted_at")].ends_with("Z"));
  CHECK(fine[col("submitted_at")].size() == 20);
  CHECK(std::stod(fine[col("render_seconds")]) > 0);
  CHECK(fine[col("result_url")].starts_with("http://sim/"));
  const auto& bad = rows[2];
  CHECK(bad[col("state")] == "failed");
  CHECK(bad[col("fail_code")] == "CONTENT_VIOLATION");
  CHECK(bad[col("file")] == "");
  CHECK(rows[4][col("file")] == "twice-t2.mp4");
  CHECK(rows[5][col("images")] == "https://example.com/a.jpg");
  CHECK(rows[5][col("resolution")] == "1080p");
  CHECK(rows[5][col("size")] == "");
  CHECK(out.str().find("\r\n") != std::string::npos);
}

TEST_CASE("a report of a batch still queued lists every row with empty outcome fields") {
  test::RunHarness h;
  h.enqueue(k_batch);
  std::ostringstream out;
  write_csv(reports_of(h), out);
  auto rows = parse_csv(out.str());
  REQUIRE(rows.size() == 6);
  for (size_t i = 1; i < rows.size(); ++i) {
    CHECK(rows[i][9] == "queued");
    CHECK(rows[i][14] == "");  // submitted_at
  }
}

TEST_CASE("the JSON report parses and carries each take's history") {
  test::RunHarness h;
  h.enqueue(k_batch);
  REQUIRE(h.run().end == RunEnd::finished);
  std::ostringstream out;
  write_json(reports_of(h, WithEvents::yes), 1'767'225'600'000, out);
  Poco::JSON::Parser p;
  auto root = p.parse(out.str()).extract<Poco::JSON::Object::Ptr>();
  CHECK(root->getValue<std::string>("generated_at") == "2026-01-01T00:00:00Z");
  auto batch = root->getArray("batches")->getObject(0);
  CHECK(batch->getValue<std::string>("batch") == "night");
  CHECK(batch->getObject("states")->getValue<int>("succeeded") == 4);
  CHECK(batch->getObject("states")->getValue<int>("failed") == 1);
  auto jobs = batch->getArray("jobs");
  REQUIRE(jobs->size() == 5);
  auto fine = jobs->getObject(0);
  CHECK(fine->getValue<std::string>("prompt") == "a calm sea, \"quoted\", with commas");
  CHECK(fine->isNull("fail_code"));
  CHECK(fine->getArray("files")->getObject(0)->getValue<int>("bytes") == 28);
  auto events = fine->getArray("events");
  REQUIRE(events->size() >= 3);  // submit, at least one poll, the download
  CHECK(events->getObject(0)->getValue<std::string>("endpoint") == "generateTask");
  CHECK(events->getObject(events->size() - 1)->getValue<std::string>("endpoint") == "download");
  auto i2v = jobs->getObject(4);
  CHECK(i2v->getArray("images")->size() == 1);
  CHECK(i2v->getValue<int>("duration") == 8);
}

TEST_CASE("a take's money note on a rehearsal's page says the rehearsal charged nothing") {
  test::RunHarness h;
  h.enqueue(k_batch);
  REQUIRE(h.run().end == RunEnd::finished);
  auto reports = reports_of(h);
  reports[0].rows[0].note = "possible duplicate charge";
  HtmlOptions o;
  o.page_dir = h.dir.path();
  auto page = [&] {
    std::ostringstream out;
    write_html(reports, o, out);
    return out.str();
  };
  CHECK(page().find(R"(<p class="note">possible duplicate charge</p>)") != std::string::npos);
  reports[0].rehearsal = true;
  CHECK(page().find(R"(<p class="note">possible duplicate charge (in the real run; a rehearsal charges nothing)</p>)") !=
        std::string::npos);
}

TEST_CASE("the HTML report puts failures first, escapes prompts and links videos relative to the page") {
  test::RunHarness h;
  h.enqueue(std::string(k_batch) + "  - id: xss\n    prompt: \"<script>alert(1)</script> & more\"\n");
  REQUIRE(h.run().end == RunEnd::finished);
  auto reports = reports_of(h);
  reports[0].output_dir = (h.dir / "out").string();
  std::ostringstream out;
  HtmlOptions o;
  o.generated_at = h.clock.now_ms();
  o.page_dir = h.dir.path();
  write_html(reports, o, out);
  std::string html = out.str();
  CHECK(html.starts_with("<!doctype html>"));
  // One script, the page's own: the hostile prompt is text, never a second script.
  CHECK(html.find("<script>") == html.rfind("<script>"));
  CHECK(html.find("<script>alert") == std::string::npos);
  CHECK(html.find("&lt;script&gt;alert(1)&lt;/script&gt; &amp; more") != std::string::npos);
  size_t bad = html.find("id=\"bad-t1\"");
  size_t fine = html.find("id=\"fine-t1\"");
  REQUIRE(bad != std::string::npos);
  REQUIRE(fine != std::string::npos);
  CHECK(bad < fine);
  CHECK(html.find("CONTENT_VIOLATION") != std::string::npos);
  // Videos load only near the viewport: no src until the script gives it.
  CHECK(html.find(R"(<video src=)") == std::string::npos);
  CHECK(html.find(R"(<video data-src="out/fine-t1.mp4" controls muted loop playsinline preload="none">)") !=
        std::string::npos);
  CHECK(html.find(R"(<video data-src="out/twice-t2.mp4")") != std::string::npos);
  // A job's takes side by side in one card, after its reference image.
  size_t twice = html.find(R"(<article class="card job succeeded wide" data-job="twice">)");
  REQUIRE(twice != std::string::npos);
  CHECK(html.find(R"(id="twice-t1")", twice) < html.find(R"(id="twice-t2")", twice));
  CHECK(html.find(R"(id="twice-t2")", twice) < html.find("</article>", twice));
  CHECK(html.find(R"(<figure class="ref"><a href="https://example.com/a.jpg"><img src="https://example.com/a.jpg")") !=
        std::string::npos);
  CHECK(html.find(R"(<script type="application/json" class="review-data">{"batch":"night","queue":")") !=
        std::string::npos);
  CHECK(html.find("<svg") != std::string::npos);
}

TEST_CASE("a poster is the picture named like the video beside it") {
  test::RunHarness h;
  h.enqueue(k_batch);
  REQUIRE(h.run().end == RunEnd::finished);
  auto reports = reports_of(h);
  reports[0].output_dir = (h.dir / "out").string();
  std::filesystem::create_directories(h.dir / "out");
  std::ofstream(h.dir / "out" / "fine-t1.jpg") << "jpeg";
  std::ostringstream out;
  write_html(reports, HtmlOptions{h.clock.now_ms(), h.dir.path()}, out);
  CHECK(out.str().find(R"(<video data-src="out/fine-t1.mp4" poster="out/fine-t1.jpg" )") != std::string::npos);
  CHECK(out.str().find(R"(<video data-src="out/twice-t1.mp4" controls)") != std::string::npos);
}

TEST_CASE("JSON inside a script block can neither close it nor break a line") {
  CHECK(script_safe_json(R"({"a":"</script><img src=x onerror=alert(1)>&amp;"})") ==
        R"({"a":"\u003c/script\u003e\u003cimg src=x onerror=alert(1)\u003e\u0026amp;"})");
  CHECK(script_safe_json("\"a\xE2\x80\xA8g\xE2\x80\xA9h\xE2\x80\xA6\"") == "\"a\\u2028g\\u2029h\xE2\x80\xA6\"");
  CHECK(script_safe_json(R"({"batch":"night","n":[1,2]})") == R"({"batch":"night","n":[1,2]})");
}

TEST_CASE("file links are relative, percent-encoded, and absolute file:// URLs only when they must be") {
  CHECK(file_link("/home/me/night", "/home/me/night/renders/a.mp4") == "renders/a.mp4");
  CHECK(file_link("/home/me/report", "/home/me/night/a b#1.mp4") == "../night/a%20b%231.mp4");
  CHECK(file_link("/srv", "/srv/x/\"<y>.mp4") == "x/%22%3Cy%3E.mp4");
}

TEST_CASE("assign_lanes never puts two overlapping tasks in one lane and reuses freed lanes") {
  std::vector<std::pair<TimeMs, TimeMs>> spans = {{0, 10}, {0, 5}, {5, 12}, {10, 20}, {1, 3}, {12, 13}};
  auto lanes = assign_lanes(spans);
  REQUIRE(lanes.size() == spans.size());
  for (size_t i = 0; i < spans.size(); ++i) {
    for (size_t j = i + 1; j < spans.size(); ++j) {
      bool overlap = spans[i].first < spans[j].second && spans[j].first < spans[i].second;
      if (overlap) {
        CHECK(lanes[i] != lanes[j]);
      }
    }
  }
  CHECK(*std::max_element(lanes.begin(), lanes.end()) == 2);  // at most 3 at once: {0,10},{0,5},{1,3}
}

TEST_CASE("an unknown batch is an error naming the batches there are") {
  test::RunHarness h;
  h.enqueue(k_batch);
  auto r = load_reports(h.queue->db(), std::string("nigth"), WithEvents::no);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "no batch named 'nigth' in this database (batches: night)");
}

TEST_CASE("a possible duplicate charge is flagged in every format") {
  test::RunHarness h;
  h.enqueue(k_batch);
  REQUIRE(h.run().end == RunEnd::finished);
  h.queue->db().exec("UPDATE jobs SET note = 'possible duplicate charge', ambiguous = 1 WHERE job_id = 'fine'");
  auto reports = reports_of(h);
  std::ostringstream csv;
  write_csv(reports, csv);
  auto rows = parse_csv(csv.str());
  CHECK(rows[1].back() == "possible duplicate charge");
  CHECK(rows[2].back() == "");
  std::ostringstream html;
  write_html(reports, HtmlOptions{h.clock.now_ms(), h.dir.path()}, html);
  CHECK(html.str().find(R"(<p class="note">possible duplicate charge</p>)") != std::string::npos);
  std::ostringstream json;
  write_json(reports, h.clock.now_ms(), json);
  CHECK(json.str().find(R"("note":"possible duplicate charge")") != std::string::npos);
}

TEST_CASE("the report format comes from --format, else from the file's extension, else csv") {
  CHECK(*parse_report_format("", "night.html") == ReportFormat::html);
  CHECK(*parse_report_format("", "night.json") == ReportFormat::json);
  CHECK(*parse_report_format("", "night.CSV") == ReportFormat::csv);
  CHECK(parse_report_format("", "night.txt").error().message ==
        "cannot tell the format of night.txt from its name: end it in .csv, .json or .html, or pass --format "
        "csv|json|html");
  CHECK(!parse_report_format("", "night").ok());
  CHECK(*parse_report_format("csv", "night.txt") == ReportFormat::csv);
  CHECK(*parse_report_format("", "") == ReportFormat::csv);
  // A name that says another format is a mistake either way: refused, not written.
  CHECK(parse_report_format("json", "night.html").error().message ==
        "--format json would write json into night.html, whose name says html: name the file .json or leave "
        "--format out");
  CHECK(*parse_report_format("html", "night.HTM") == ReportFormat::html);
  CHECK(parse_report_format("pdf", "night.html").error().message ==
        "--format must be csv, json or html (got \"pdf\")");
  CHECK(parse_report_format("pdf", "").error().message == "--format must be csv, json or html (got \"pdf\")");
}

TEST_CASE("a report file appears whole under its name, and a failed write leaves nothing behind") {
  test::RunHarness h;
  h.enqueue(k_batch);
  auto reports = reports_of(h);
  fs::path target = h.dir / "r.csv";
  REQUIRE(write_report_file(reports, ReportFormat::csv, 0, target).ok());
  std::ostringstream expected;
  write_csv(reports, expected);
  CHECK(test::read_file(target) == expected.str());
  CHECK_FALSE(fs::exists(h.dir / ".r.csv.tmp"));
  auto failed = write_report_file(reports, ReportFormat::csv, 0, h.dir / "no-such-folder" / "r.csv");
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().kind == ErrorKind::usage);
  CHECK(failed.error().message == "cannot write " + (h.dir / "no-such-folder" / "r.csv").string() + ": the folder " +
                                      (h.dir / "no-such-folder").string() + " does not exist");
  auto folder = write_report_file(reports, ReportFormat::csv, 0, h.dir.path());
  REQUIRE_FALSE(folder.ok());
  CHECK(folder.error().kind == ErrorKind::usage);
  CHECK(folder.error().message.ends_with(": it is a folder; give a file name, e.g. " + h.dir.path().string() +
                                         "/report.html"));
}

TEST_CASE("report -o never writes through a link, under the report's name or its temporary name") {
  test::RunHarness h;
  h.enqueue(k_batch);
  auto reports = reports_of(h);
  test::write_file(h.dir / "victim.txt", "precious\n");
  const char* refusal =
      " is a symbolic link; reelq will not write through it (delete the link, or choose another name)";
  SUBCASE("the report's name") {
    fs::create_symlink(h.dir / "victim.txt", h.dir / "r.csv");
    auto st = write_report_file(reports, ReportFormat::csv, 0, h.dir / "r.csv");
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().kind == ErrorKind::input);
    CHECK(st.error().message == (h.dir / "r.csv").string() + refusal);
    CHECK(fs::is_symlink(h.dir / "r.csv"));
  }
  SUBCASE("the temporary name beside it") {
    fs::create_symlink(h.dir / "victim.txt", h.dir / ".r.csv.tmp");
    auto st = write_report_file(reports, ReportFormat::csv, 0, h.dir / "r.csv");
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().message == (h.dir / ".r.csv.tmp").string() + refusal);
    CHECK_FALSE(fs::exists(h.dir / "r.csv"));
  }
  CHECK(test::read_file(h.dir / "victim.txt") == "precious\n");
}

TEST_CASE("the page and the JSON show what the batch cost, and its possible duplicate charges, in the totals") {
  test::SimRun h;
  REQUIRE(h.try_enqueue("batch: night\ndefaults: {duration: 8, size: 1280*720}\njobs:\n"
                        "  - id: a\n    prompt: one\n  - id: b\n    prompt: two\n") == "");
  REQUIRE(h.run().end == RunEnd::finished);
  // One more submit whose answer was lost: a task may exist that no take knows of.
  h.queue->db().exec(
      "INSERT INTO events (job, at, endpoint, outcome) SELECT id, 1, 'generateTask', 'ambiguous' FROM jobs "
      "WHERE job_id = 'a'");
  auto reports = load_reports(h.queue->db(), std::nullopt, WithEvents::no);
  REQUIRE(reports.ok());
  auto prices = load_prices("");
  REQUIRE(prices.ok());
  REQUIRE(attach_spend(h.queue->db(), *prices, *reports).ok());
  REQUIRE(reports->at(0).spend.has_value());
  CHECK(reports->at(0).spend->tasks == 2);
  CHECK(reports->at(0).spend->possible == 1);
  std::ostringstream html;
  write_html(*reports, HtmlOptions{h.clock.now_ms(), h.dir.path()}, html);
  CHECK(html.str().find(R"(<div class="tile spend"><b>$4.80</b>spent: 2 rendered takes (2 tasks created)</div>)") !=
        std::string::npos);
  CHECK(html.str().find(R"(<div class="tile dup"><b>1</b>possible duplicate charge (up to $2.40)</div>)") !=
        std::string::npos);
  std::ostringstream json;
  write_json(*reports, h.clock.now_ms(), json);
  CHECK(json.str().find(R"("spend":{"tasks_created":2,"cost":4.80,"possible_duplicate_charges":1,"possible_cost":2.40,)"
                        R"("unpriced":0,"currency":"USD","rendered":2,"rendered_cost":4.80,"failed":0,)"
                        R"("failed_cost":0.00,"not_ended":0,"not_ended_cost":0.00},"spend_by_key":)") !=
        std::string::npos);
  // One key (the run's, "default"): the same figures under its name.
  CHECK(json.str().find(R"("spend_by_key":{"default":{"tasks_created":2,"rendered":2,"rendered_cost":4.80,)"
                        R"("failed_cost":0.00,"possible_cost":2.40,"cost":4.80}},"balance":null)") != std::string::npos);
}
