#include "deliver/delivery_folder.h"

#include <doctest/doctest.h>

#include "fetch/folder_claim.h"
#include "support/fakes.h"

using namespace reelq;
namespace fs = std::filesystem;

TEST_CASE("a delivery folder that is new, or a folder of its own, is fine") {
  test::TempDir dir;
  std::vector<OutputFolder> outs{{dir / "renders/night", "night"}};
  fs::create_directories(dir / "renders/night");
  CHECK(check_delivery_folder(dir / "client", outs));
  fs::create_directories(dir / "client");
  CHECK(check_delivery_folder(dir / "client", outs));
  CHECK(check_delivery_folder(dir / "renders/night2", outs));  // a sibling whose name starts the same
}

TEST_CASE("only the delivery folder itself is made: a missing parent (a drive not mounted) is refused") {
  test::TempDir dir;
  std::vector<OutputFolder> outs{{dir / "renders/night", "night"}};
  auto unmounted = check_delivery_folder(dir / "media/usb/client", outs);
  REQUIRE_FALSE(unmounted);
  CHECK(unmounted.error().kind == ErrorKind::usage);
  CHECK(unmounted.error().message ==
        "--to " + (dir / "media/usb/client").string() + ": " + (dir / "media/usb").string() +
            " does not exist (a drive not mounted, or a typo?): reelq makes the delivery folder but not the folders "
            "above it; make " + (dir / "media/usb").string() + " first if it is meant; nothing was delivered");
  CHECK_FALSE(fs::exists(dir / "media"));
  CHECK(check_delivery_folder("", outs).error().message ==
        "--to is empty: pass the name of a folder for the delivery; nothing was delivered");
}

TEST_CASE("a link, a file or reelq's own output folder is refused as --to, saying what to pass instead") {
  test::TempDir dir;
  fs::create_directories(dir / "renders/night");
  fs::create_directories(dir / "elsewhere");
  std::vector<OutputFolder> outs{{dir / "renders/night", "night"}};
  const std::string real = fs::canonical(dir.path()).string();

  fs::create_directory_symlink(dir / "elsewhere", dir / "client");
  auto link = check_delivery_folder(dir / "client", outs);
  REQUIRE_FALSE(link);
  CHECK(link.error().kind == ErrorKind::usage);
  CHECK(link.error().message ==
        "--to " + (dir / "client").string() + ": it is a symbolic link (to " + real +
            "/elsewhere), and reelq does not deliver through a link, which could send the files anywhere: pass the "
            "folder itself (--to " +
            real +
            "/elsewhere) if that is where they should go, or a new folder; nothing "
            "was delivered");

  // With a slash at its end (as the shell's completion types it), the link is still seen.
  auto slashed = check_delivery_folder(dir.path().string() + "/client/", outs);
  REQUIRE_FALSE(slashed);
  CHECK(slashed.error().message.find("it is a symbolic link (to ") != std::string::npos);
  fs::create_directory_symlink(dir / "gone", dir / "dangling");
  auto dangling = check_delivery_folder(dir.path().string() + "/dangling//", outs);
  REQUIRE_FALSE(dangling);
  CHECK(dangling.error().message ==
        "--to " + dir.path().string() + "/dangling: it is a symbolic link to " + (dir / "gone").string() +
            ", which does not exist, and reelq does not deliver through a link: pass a new folder, or make " +
            (dir / "gone").string() + " and pass that; nothing was delivered");

  test::write_file(dir / "client.mp4", "x");
  auto file = check_delivery_folder(dir / "client.mp4", outs);
  REQUIRE_FALSE(file);
  CHECK(file.error().message == "--to " + (dir / "client.mp4").string() +
                                    ": it is a file, not a folder: pass the name of a folder for the delivery (one "
                                    "that does not exist yet is made); nothing was delivered");

  auto inside = check_delivery_folder(dir / "renders/night/client", outs);
  REQUIRE_FALSE(inside);
  CHECK(inside.error().message ==
        "--to " + (dir / "renders/night/client").string() + ": it is inside reelq's output folder " + real +
            "/renders/night (where batch night's renders are): the client's files would mix with reelq's, and "
            "editing them would edit reelq's. Pass a folder of its own, outside " +
            real + "/renders/night; nothing was delivered");
  auto same = check_delivery_folder(dir / "renders/./night/", outs);
  REQUIRE_FALSE(same);
  CHECK(same.error().message.find(": it is reelq's output folder ") != std::string::npos);

  auto holds = check_delivery_folder(dir / "renders", outs);
  REQUIRE_FALSE(holds);
  CHECK(holds.error().message == "--to " + (dir / "renders").string() + ": it holds reelq's output folder " + real +
                                     "/renders/night (batch night's renders): handing the folder over would hand "
                                     "reelq's renders and files over too. Pass a folder of its own, such as " +
                                     real + "/renders/client; nothing was delivered");
  CHECK_FALSE(fs::exists(dir / "renders/night/client"));
}

TEST_CASE("another queue's output folder (a rehearsal's, another project's) is refused as --to, and inside it") {
  test::TempDir dir;
  fs::create_directories(dir / "renders/night.rehearsal");
  REQUIRE(claim_folder(dir / "renders/night.rehearsal", FolderClaim{"q2", "night", "/p/rehearsal.db"}));
  std::vector<OutputFolder> outs{{dir / "renders/night", "night"}};
  const std::string real = fs::canonical(dir.path()).string();
  auto there = check_delivery_folder(dir / "renders/night.rehearsal", outs);
  REQUIRE_FALSE(there);
  CHECK(there.error().message == "--to " + (dir / "renders/night.rehearsal").string() +
                                     ": it is the output folder " + real +
                                     "/renders/night.rehearsal of batch night in another reelq queue "
                                     "(/p/rehearsal.db): the client's files would mix with its renders. Pass a folder "
                                     "of its own, outside " +
                                     real + "/renders/night.rehearsal; nothing was delivered");
  auto inside = check_delivery_folder(dir / "renders/night.rehearsal/client", outs);
  REQUIRE_FALSE(inside);
  CHECK(inside.error().message.find(": it is inside the output folder ") != std::string::npos);
  CHECK(check_delivery_folder(dir / "renders/client", outs));  // beside it is fine
}
