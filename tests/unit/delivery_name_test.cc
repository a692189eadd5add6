#include "deliver/delivery_name.h"

#include <doctest/doctest.h>

using namespace reelq;

namespace {

NameFields fields(std::string job, int take = 1) {
  return NameFields{std::move(job), take, "night", ".mp4", 1};
}

}  // namespace

TEST_CASE("a delivery name is the template expanded, with the extension added unless {ext} places it") {
  CHECK(*delivery_name("{job}-{take}", fields("skyline", 2)) == "skyline-2.mp4");
  CHECK(*delivery_name("{batch}_{job}_t{take}{ext}", fields("a")) == "night_a_t1.mp4");
  CHECK(*delivery_name("{job}{ext}.bak", fields("a")) == "a.mp4.bak");
  CHECK(*delivery_name("{job}-{index}", NameFields{"a", 1, "b", "", 2}) == "a-2");
}

TEST_CASE("an extension the user wrote is the file's own: not given twice, and not another container's") {
  CHECK(*delivery_name("{job}-{take}.mp4", fields("a")) == "a-1.mp4");
  CHECK(*delivery_name("{job}-{take}.MP4", fields("a")) == "a-1.MP4");
  CHECK(check_name_template("{job}-{take}.mp4"));
  auto mov = check_name_template("{job}-{take}.mov");
  REQUIRE_FALSE(mov);
  CHECK(mov.error().kind == ErrorKind::usage);
  CHECK(mov.error().message ==
        "--name \"{job}-{take}.mov\" ends in \".mov\", but the takes are MP4 files and a name does not convert them; "
        "leave the extension out (reelq adds .mp4) or write {ext}");
  CHECK_FALSE(check_name_template("{job}.WebM"));
  auto hidden = check_name_template(".{job}");
  REQUIRE_FALSE(hidden);
  CHECK(hidden.error().message ==
        "--name \".{job}\" starts with '.', which makes hidden files that ls and most file browsers do not show; "
        "start it with a placeholder or a letter");
}

TEST_CASE("a template that could not name one file per take is refused before anything is delivered") {
  CHECK(check_name_template("{job}-{take}"));
  auto slash = check_name_template("{job}/{take}");
  REQUIRE_FALSE(slash);
  CHECK(slash.error().kind == ErrorKind::usage);
  CHECK(slash.error().message == "--name \"{job}/{take}\": a file name cannot hold '/'");
  auto unknown = check_name_template("{job}-{shot}");
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().message ==
        "--name \"{job}-{shot}\": unknown placeholder at column 7; the placeholders are {job} {take} {batch} {ext} "
        "{index}");
  auto open = check_name_template("x-{job");
  REQUIRE_FALSE(open);
  CHECK(open.error().message == "--name \"x-{job\": the '{' at column 3 is not closed by a '}'");
  CHECK_FALSE(check_name_template("a\tb{job}"));
  CHECK_FALSE(check_name_template("final"));  // every take under one name
}

TEST_CASE("a name that would leave the folder or hide in it is refused, whatever the job id holds") {
  auto dots = delivery_name("{job}", fields(".."));
  REQUIRE_FALSE(dots);
  CHECK(dots.error().kind == ErrorKind::input);
  CHECK(dots.error().message ==
        "job .. take 1: the delivered name \"...mp4\" starts with '.' (a hidden file); nothing was delivered under "
        "it (choose another --name)");
  CHECK_FALSE(delivery_name("{job}{ext}", NameFields{"..", 1, "b", "", 1}));
  CHECK(*delivery_name("{job}-{take}", fields("v1..final")) == "v1..final-1.mp4");  // a valid id, a plain name
  CHECK_FALSE(delivery_name("{job}", fields("../../etc/x")));
  CHECK_FALSE(delivery_name("{job}", fields("a/b")));
  CHECK_FALSE(delivery_name("{job}", fields("a\nb")));
  CHECK_FALSE(delivery_name("{job}{ext}", NameFields{"", 1, "b", "", 1}));
  CHECK_FALSE(delivery_name("{job}.csv{ext}", NameFields{"delivery", 1, "b", "", 1}));
}

TEST_CASE("a template whose names would break on the client's drive or read as options is refused") {
  auto colon = check_name_template("{job}:{take}");
  REQUIRE_FALSE(colon);
  CHECK(colon.error().kind == ErrorKind::usage);
  CHECK(colon.error().message ==
        "--name \"{job}:{take}\" holds ':' (column 6), which Windows and exFAT drives do not allow in a file name; "
        "use '-' or '_'");
  CHECK_FALSE(check_name_template("{job}\\"));
  CHECK_FALSE(check_name_template("{job}?{take}"));
  auto dash = check_name_template("-{job}{ext}");
  REQUIRE_FALSE(dash);
  CHECK(dash.error().message.find("starts with '-'") != std::string::npos);
  CHECK_FALSE(check_name_template(" {job}"));
  CHECK_FALSE(check_name_template("{job} "));
  CHECK(check_name_template("{job} take {take}"));  // a space inside is fine
}
