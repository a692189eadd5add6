// jobs_from: and prompt_file: through parse_manifest, as validate and enqueue see them.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include "manifest/job_input.h"
#include "manifest/manifest.h"
#include "support/fakes.h"

using namespace reelq;
namespace fs = std::filesystem;

namespace {

struct Project {
  test::TempDir dir;

  void write(const std::string& name, const std::string& text) { test::write_file(dir.path() / name, text); }

  Result<Manifest> parse(const std::string& manifest) { return parse_manifest(manifest, {"m.yaml", dir.path()}); }

  Manifest parse_ok(const std::string& manifest) {
    auto m = parse(manifest);
    INFO((m ? "" : m.error().message));
    REQUIRE(m.ok());
    return m.value();
  }

  std::string errors(const std::string& manifest) {
    auto m = parse(manifest);
    REQUIRE_FALSE(m.ok());
    CHECK(m.error().kind == ErrorKind::input);
    return m.error().message;
  }
};

const std::string k_manifest = "batch: b\ndefaults:\n  duration: 4\njobs_from: [shots.csv]\n";

}  // namespace

TEST_CASE("a CSV job list: columns are job fields, defaults apply, empty cells inherit, ids from the row") {
  Project p;
  p.write("shots.csv",
          "\xEF\xBB\xBF"
          "id,prompt,duration,size,takes\r\n"
          "skyline,\"a city, at night\",8,720*1280,2\r\n"
          ",\"she said \"\"go\"\"\nand left\",,,\r\n");
  Manifest m = p.parse_ok(k_manifest);
  REQUIRE(m.jobs.size() == 2);
  CHECK(m.listed_jobs == 2);
  CHECK(m.jobs[0].id == "skyline");
  CHECK(m.jobs[0].prompt == "a city, at night");
  CHECK(m.jobs[0].duration == 8);
  CHECK(m.jobs[0].size == "720*1280");
  CHECK(m.jobs[0].takes == 2);
  CHECK(m.jobs[0].source_file == "shots.csv");
  CHECK(m.jobs[0].pos.line == 2);
  CHECK(m.jobs[1].id == "shots-2");  // <file stem>-<row number>
  CHECK(m.jobs[1].prompt == "she said \"go\"\nand left");
  CHECK(m.jobs[1].duration == 4);  // from defaults:
  CHECK(m.jobs[1].size == "1280*720");
  CHECK(describe_jobs(m) == "2 jobs (2 from job lists)");
}

TEST_CASE("rows of separators only are skipped like blank lines, and the row ids after them stay put") {
  Project p;
  p.write("x.csv", "prompt,duration,takes\na,,\n,,\nb,,\n\nc,,\n,,\n");
  Manifest m = p.parse_ok("batch: b\njobs_from: [x.csv]\n");
  REQUIRE(m.jobs.size() == 3);
  CHECK(m.jobs[1].id == "x-2");  // the ",," row is not a job and, as a blank line, not counted
  CHECK(m.jobs[2].id == "x-3");
  CHECK(m.jobs[2].pos.line == 6);
  p.write("x.tsv", "prompt\tduration\n\t\na\t\n\t\nb\t\n");
  Manifest t = p.parse_ok("batch: b\njobs_from: [x.tsv]\n");
  REQUIRE(t.jobs.size() == 2);
  CHECK(t.jobs[1].id == "x-2");
}

TEST_CASE("unquoted cells lose the spaces around them, except the prompt; quoted cells keep theirs") {
  Project p;
  p.write("face.png", "\x89PNG\r\n\x1A\nxxxx");
  p.write("shots.csv",
          "id , prompt ,duration,size,takes,mode\n"
          " a , two words ,\t8 , 720*1280 , 2 ,\n"
          " ,\" kept \", 12,,,\n");
  Manifest m = p.parse_ok(k_manifest);
  REQUIRE(m.jobs.size() == 2);
  CHECK(m.jobs[0].id == "a");
  CHECK(m.jobs[0].prompt == " two words ");  // the request as written (see docs/manifest.md)
  CHECK(m.jobs[0].duration == 8);
  CHECK(m.jobs[0].size == "720*1280");
  CHECK(m.jobs[0].takes == 2);
  CHECK(m.jobs[1].id == "shots-2");  // a cell of spaces is an empty cell
  CHECK(m.jobs[1].prompt == " kept ");
  CHECK(m.jobs[1].duration == 12);
  p.write("shots.csv", "prompt,images,duration\nmove, face.png ,\" 8\"\n");
  CHECK(p.errors(k_manifest) == "shots.csv:2:17: duration must be 4, 8 or 12 (got \" 8\")\n");
  p.write("shots.csv", "prompt,images,duration\nmove, face.png ,  10\n");
  CHECK(p.errors(k_manifest) == "shots.csv:2:19: duration must be 4, 8 or 12 (got 10)\n");  // at the 10
  p.write("shots.csv", "prompt,images\nmove, face.png \n");
  Manifest i = p.parse_ok("batch: b\njobs_from: [shots.csv]\n");
  REQUIRE(i.jobs.size() == 1);
  CHECK(i.jobs[0].images[0].ends_with("/face.png"));
}

TEST_CASE("a job list's rows are held to every rule a YAML job is, at their place in the file") {
  Project p;
  p.write("shots.csv",
          "id,prompt,duration\n"
          "a,fine,8\n"
          "b,too long,10\n"
          "c,\"unclosed\n");
  CHECK(p.errors(k_manifest) ==
        "shots.csv:3:12: duration must be 4, 8 or 12 (got 10)\n"
        "shots.csv:4:3: quoted field is never closed (its closing quote is missing)\n");
}

TEST_CASE("unknown columns are named once, at the header, with the nearest column") {
  Project p;
  p.write("shots.csv", "id,promt,colour\na,x,red\n");
  CHECK(p.errors(k_manifest) ==
        "shots.csv:1:4: unknown column 'promt'; did you mean 'prompt'?\n"
        "shots.csv:1:10: unknown column 'colour'; job lists have the columns id, prompt, prompt_file, mode, duration, "
        "size, resolution, images, takes\n"
        "shots.csv:2:1: job 'a' has no prompt (and defaults give none)\n");
}

TEST_CASE("images are separated by '|' and are relative to the manifest; modes follow the YAML rules") {
  Project p;
  p.write("face.png", "\x89PNG\r\n\x1A\nxxxx");
  p.write("shots.tsv", "id\tprompt\timages\tresolution\na\tmove\tface.png\t1080p\nb\tmove\tface.png|face.png\t\n");
  std::string err = p.errors("batch: b\njobs_from: [shots.tsv]\n");
  CHECK(err == "shots.tsv:3:8: images must list exactly 1 entry (got 2)\n");
  p.write("shots.tsv", "id\tprompt\timages\tresolution\na\tmove\tface.png\t1080p\n");
  Manifest m = p.parse_ok("batch: b\njobs_from: [shots.tsv]\n");
  REQUIRE(m.jobs.size() == 1);
  CHECK(m.jobs[0].mode == Mode::image_to_video);
  CHECK(m.jobs[0].resolution == "1080p");
  CHECK(m.jobs[0].images[0].starts_with("file://"));
}

TEST_CASE("a JSONL job list: one object a line, blank lines skipped, a broken line named at its column") {
  Project p;
  p.write("extra.jsonl",
          "{\"id\": \"j1\", \"prompt\": \"tab\\there \\\"q\\\"\", \"duration\": 12}\r\n"
          "\n"
          "{\"prompt\": \"no id\"}\n"
          "{\"prompt\": \"broken\", duration: 4}\n"
          "[1, 2]\n");
  CHECK(p.errors("batch: b\njobs_from: [extra.jsonl]\n") ==
        "extra.jsonl:4:22: expected a key in double quotes\n"
        "extra.jsonl:5:1: each line of a JSONL job list must be one JSON object (one job)\n");
  p.write("extra.jsonl",
          "{\"id\": \"j1\", \"prompt\": \"tab\\there \\\"q\\\"\", \"duration\": 12}\r\n\n{\"prompt\": \"no id\"}\n");
  Manifest m = p.parse_ok("batch: b\njobs_from: [extra.jsonl]\n");
  REQUIRE(m.jobs.size() == 2);
  CHECK(m.jobs[0].prompt == "tab\there \"q\"");
  CHECK(m.jobs[0].duration == 12);
  CHECK(m.jobs[1].id == "extra-2");  // the second job of the file, whatever blank lines came before
}

TEST_CASE("JSONL values are typed as YAML's: a quoted number is refused as in a manifest, unknown keys named") {
  Project p;
  p.write("x.jsonl", "{\"prompt\": \"p\", \"duration\": \"8\", \"colour\": 1}\n");
  // The advice is written as JSON, the file's own syntax.
  CHECK(p.errors("batch: b\njobs_from: [x.jsonl]\n") ==
        "x.jsonl:1:29: duration must be 4, 8 or 12 (got \"8\"); write it without quotes: \"duration\": 8\n"
        "x.jsonl:1:34: unknown key 'colour'; expected one of: duration, id, images, mode, prompt, prompt_file, "
        "resolution, size, takes, vary\n");
}

TEST_CASE("JSONL advice for a quoted number in a vary: list is the value alone; YAML's stays YAML") {
  Project p;
  p.write("x.jsonl", "{\"prompt\": \"p\", \"vary\": {\"duration\": [4, \"12\"]}}\n");
  CHECK(p.errors("batch: b\njobs_from: [x.jsonl]\n") ==
        "x.jsonl:1:42: duration[2] must be 4, 8 or 12 (got \"12\"); write it without quotes: 12\n");
  CHECK(p.errors("batch: b\njobs:\n  - prompt: p\n    duration: \"8\"\n") ==
        "m.yaml:4:15: duration must be 4, 8 or 12 (got \"8\"); write it without quotes: duration: 8\n");
}

TEST_CASE("jobs: and jobs_from: together; a duplicate id across them names both places") {
  Project p;
  p.write("shots.csv", "id,prompt\nskyline,again\nother,x\n");
  Manifest m = p.parse_ok("batch: b\njobs:\n  - id: first\n    prompt: p\njobs_from: [shots.csv]\n");
  CHECK(m.jobs.size() == 3);
  CHECK(m.jobs[0].source_file.empty());
  CHECK(p.errors("batch: b\njobs:\n  - id: skyline\n    prompt: p\njobs_from: [shots.csv]\n") ==
        "shots.csv:2:1: duplicate job id 'skyline' (first at m.yaml:3:9)\n");
}

TEST_CASE("a job list must be inside the manifest's folder, exist and hold jobs") {
  Project p;
  p.write("empty.csv", "id,prompt\n");
  CHECK(p.errors("batch: b\njobs_from: [../elsewhere.csv, missing.csv, empty.csv]\n") ==
        "m.yaml:2:13: jobs_from file '../elsewhere.csv' is outside the manifest's folder: a manifest names files "
        "inside its own folder only (copy the file there)\n"
        "m.yaml:2:31: jobs_from file 'missing.csv' not found\n"
        "empty.csv:1:1: job list has no jobs (a CSV needs a header row and a row per job)\n");
  CHECK(p.errors("batch: b\njobs_from: [., ./]\n") ==
        "m.yaml:2:13: jobs_from file '.' is the manifest's own folder, not a file: name a file in it\n"
        "m.yaml:2:16: jobs_from file './' is the manifest's own folder, not a file: name a file in it\n");
}

TEST_CASE("a workbook, UTF-16 or ';' saved under a job list's name is named, with the way to save it") {
  Project p;
  p.write("book.csv", std::string("PK\x03\x04\x14\0\x06\0", 8) + "[Content_Types].xml");
  p.write("wide.csv", std::string("\xFF\xFEi\0d\0,\0p\0", 10));
  p.write("semi.csv", "id;prompt;duration\na;a cat;4\n");
  p.write("wide.jsonl", std::string("{\0\"\0p\0", 6));
  const std::string save = "save it from the spreadsheet as \"CSV UTF-8 (comma delimited)\"";
  CHECK(p.errors("batch: b\njobs_from: [book.csv, wide.csv, semi.csv, wide.jsonl]\n") ==
        "book.csv:1:1: this is a spreadsheet workbook (.xlsx or .ods, a zip file), not a text job list: " + save +
            "\n"
            "wide.csv:1:1: this file is UTF-16 (or binary), not UTF-8 text: " +
            save +
            "\n"
            "semi.csv:1:1: the header row is separated by ';', not ',': " +
            save +
            " (or with a comma as the list separator)\n"
            "wide.jsonl:1:1: this file is UTF-16 (or binary), not UTF-8 text: " +
            save + "\n");
  SUBCASE("a ';' inside a comma-separated header's prompt is no reason to refuse") {
    p.write("fine.csv", "id,prompt\na,\"one; two\"\n");
    CHECK(p.parse_ok("batch: b\njobs_from: [fine.csv]\n").jobs.size() == 1);
  }
}

TEST_CASE("a manifest without jobs: or jobs_from: says both") {
  Project p;
  CHECK(p.errors("batch: b\n") ==
        "m.yaml:1:1: missing required key 'jobs' (or 'jobs_from', for jobs kept in a CSV or JSONL file)\n");
}

TEST_CASE("prompt_file: the file's text, less one final line break, checked as a prompt") {
  Project p;
  p.write("long.txt", "a long prompt,\nover two lines\r\n");
  Manifest m = p.parse_ok("batch: b\njobs:\n  - prompt_file: long.txt\n");
  CHECK(m.jobs[0].prompt == "a long prompt,\nover two lines");
  p.write("big.txt", std::string(5001, 'x'));
  p.write("bad.txt", "caf\xE9\n");
  fs::create_directory(p.dir.path() / "folder.txt");
  CHECK(p.errors("batch: b\njobs:\n"
                 "  - prompt_file: big.txt\n"
                 "  - prompt_file: bad.txt\n"
                 "  - prompt_file: none.txt\n"
                 "  - prompt_file: folder.txt\n"
                 "  - prompt_file: /etc/hostname\n"
                 "  - prompt_file: long.txt\n    prompt: both\n") ==
        "m.yaml:3:18: the prompt in 'big.txt' must be at most 5000 characters (got 5001)\n"
        "m.yaml:4:18: prompt_file 'bad.txt' is not UTF-8 text (byte 4 of the file)\n"
        "m.yaml:5:18: prompt_file 'none.txt' not found\n"
        "m.yaml:6:18: prompt_file 'folder.txt' is a folder, not a file: name a file in it\n"
        "m.yaml:7:18: prompt_file '/etc/hostname' is outside the manifest's folder: a manifest names files inside "
        "its own folder only (copy the file there)\n"
        "m.yaml:8:18: a job gives prompt or prompt_file, not both\n");
}

TEST_CASE("a FIFO named as prompt_file is refused without opening it") {
  Project p;
  REQUIRE(mkfifo((p.dir.path() / "pipe.txt").c_str(), 0600) == 0);
  CHECK(p.errors("batch: b\njobs:\n  - prompt_file: pipe.txt\n") ==
        "m.yaml:3:18: prompt_file 'pipe.txt' is not a regular file\n");
}

TEST_CASE("a CSV or JSONL given where a manifest goes says what a manifest is and shows the one to write") {
  test::TempDir dir;
  test::write_file(dir.path() / "client prompts.csv", "id,prompt\na,x\n");
  auto m = load_manifest(dir.path() / "client prompts.csv");
  REQUIRE_FALSE(m.ok());
  CHECK(m.error().kind == ErrorKind::input);
  std::string p = (dir.path() / "client prompts").string();
  CHECK(m.error().message ==
        p +
            ".csv: is a job list, not a manifest. A manifest is a YAML file that names the batch and where its jobs "
            "come from (docs/manifest.md); save these lines as " +
            p +
            ".yaml beside it and give that file instead:\n"
            "  batch: client-prompts\n"
            "  defaults: {duration: 8, size: 1280*720}\n"
            "  jobs_from: [client prompts.csv]\n");
}

TEST_CASE("a whole number written as 8.0 (as some JSON writers do) is refused, not read as the default") {
  Project p;
  p.write("x.jsonl", "{\"prompt\": \"p\", \"duration\": 4.0}\n");
  CHECK(p.errors("batch: b\njobs_from: [x.jsonl]\n") == "x.jsonl:1:29: duration must be 4, 8 or 12 (got 4.0)\n");
  CHECK(p.errors("batch: b\njobs:\n  - prompt: p\n    duration: 4.0\n") ==
        "m.yaml:4:15: duration must be 4, 8 or 12 (got 4.0)\n");
}
