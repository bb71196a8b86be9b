// --dump files: content at stream offsets, holes for gaps, reused names, and a
// bounded number of open descriptors however many sessions are live.
#include <doctest/doctest.h>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "libcore/reasm/stream_dump.hpp"

using namespace nl;

namespace {

size_t open_fds() {
  size_t n = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (readdir(d)) ++n;
    closedir(d);
  }
  return n;
}

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

SessionView session(uint64_t no, uint16_t sport) {
  SessionView s;
  s.session_no = no;
  s.key.src.family = s.key.dst.family = 4;
  s.key.src.bytes[0] = 10, s.key.src.bytes[3] = 1;
  s.key.dst.bytes[0] = 10, s.key.dst.bytes[3] = 2;
  s.key.sport = sport;
  s.key.dport = 80;
  s.key.proto = 6;
  return s;
}

MonologuePiece piece(Dir d, uint64_t offset, const std::string& text) {
  MonologuePiece p;
  p.dir = d;
  p.offset = offset;
  p.data = as_bytes(text);
  return p;
}

}  // namespace

TEST_CASE("stream dump: 300 interleaved sessions, files right, descriptors bounded") {
  char tmpl[] = "/tmp/netlines-dump-XXXXXX";
  REQUIRE(mkdtemp(tmpl));
  std::string dir = tmpl;
  size_t before = open_fds();
  {
    StreamDumper dump(dir);
    const int n = 300;
    for (int round = 0; round < 3; ++round)
      for (int i = 0; i < n; ++i) {
        SessionView s = session(uint64_t(i + 1), uint16_t(40000 + i));
        // (Not "c" + std::to_string(): GCC 12 warns about it, wrongly, with -Wrestrict.)
        std::string c(1, 'c'), r(1, 'r');
        c += char('0' + round);
        r += char('0' + round);
        REQUIRE(dump.write(s, piece(Dir::c2s, uint64_t(round) * 2, c)));
        REQUIRE(dump.write(s, piece(Dir::s2c, uint64_t(round) * 2, r)));
        CHECK(open_fds() <= before + StreamDumper::kMaxOpen);
      }
    for (int i = 0; i < n; ++i) REQUIRE(dump.end(session(uint64_t(i + 1), uint16_t(40000 + i))));
    CHECK(open_fds() == before);
    REQUIRE(dump.finish());
  }
  CHECK(slurp(dir + "/010.000.000.001.40000-010.000.000.002.00080") == "c0c1c2");
  CHECK(slurp(dir + "/010.000.000.002.00080-010.000.000.001.40299") == "r0r1r2");

  // A gap leaves a hole of zeros; a reused 5-tuple gets the "c1" suffix.
  StreamDumper dump(dir);
  SessionView again = session(1000, 40000);
  REQUIRE(dump.write(again, piece(Dir::c2s, 4, "late")));
  REQUIRE(dump.finish());
  CHECK(slurp(dir + "/010.000.000.001.40000-010.000.000.002.00080c1") == std::string(4, '\0') + "late");
  std::string cmd = "rm -rf '" + dir + "'";
  CHECK(std::system(cmd.c_str()) == 0);
}

TEST_CASE("stream dump: gathered small pieces, gaps and large pieces land at their offsets") {
  bool threaded = false;
  SUBCASE("on the caller's thread") { threaded = false; }
  SUBCASE("on a thread of its own") { threaded = true; }
  char tmpl[] = "/tmp/netlines-dump-XXXXXX";
  REQUIRE(mkdtemp(tmpl));
  std::string dir = tmpl;
  std::string expect;
  auto put = [&](StreamDumper& dump, const SessionView& s, uint64_t offset, const std::string& text) {
    if (expect.size() < offset + text.size()) expect.resize(offset + text.size(), '\0');
    expect.replace(offset, text.size(), text);
    REQUIRE(dump.write(s, piece(Dir::c2s, offset, text)));
  };
  {
    StreamDumper dump(dir, threaded);
    SessionView s = session(1, 41000);
    uint64_t at = 0;
    for (int i = 0; i < 100; ++i) {  // small pieces, more than kGather in all
      std::string t(1000 + size_t(i), char('a' + i % 26));
      put(dump, s, at, t);
      at += t.size();
    }
    at += 333;  // a gap
    put(dump, s, at, "after the gap");
    at += 13;
    std::string big(StreamDumper::kGather + 7, 'B');
    put(dump, s, at, big);  // written at once, after what was gathered
    at += big.size();
    put(dump, s, at, "tail");
    REQUIRE(dump.end(s));
    REQUIRE(dump.finish());
  }
  CHECK(slurp(dir + "/010.000.000.001.41000-010.000.000.002.00080") == expect);
  std::string cmd = "rm -rf '" + dir + "'";
  CHECK(std::system(cmd.c_str()) == 0);
}

TEST_CASE("stream dump on its own thread: 300 interleaved sessions give the same files as on the caller's") {
  std::string dirs[2];
  for (int threaded = 0; threaded < 2; ++threaded) {
    char tmpl[] = "/tmp/netlines-dump-XXXXXX";
    REQUIRE(mkdtemp(tmpl));
    dirs[threaded] = tmpl;
    StreamDumper dump(dirs[threaded], threaded == 1);
    for (int round = 0; round < 3; ++round)
      for (int i = 0; i < 300; ++i) {
        SessionView s = session(uint64_t(i + 1), uint16_t(40000 + i % 250));  // 50 reused 5-tuples
        std::string c(size_t(100 * round + i), char('a' + round));
        REQUIRE(dump.write(s, piece(Dir::c2s, uint64_t(round) * 1000, c)));
        REQUIRE(dump.write(s, piece(Dir::s2c, uint64_t(round), "r")));
        if (round == 2 && i % 3 == 0) REQUIRE(dump.end(s));
      }
    REQUIRE(dump.finish());
  }
  std::string cmd = "diff -r '" + dirs[0] + "' '" + dirs[1] + "' > /dev/null";
  CHECK(std::system(cmd.c_str()) == 0);
  cmd = "ls '" + dirs[1] + "' | wc -l | grep -qx 600";
  CHECK(std::system(cmd.c_str()) == 0);
  for (auto& d : dirs) CHECK(std::system(("rm -rf '" + d + "'").c_str()) == 0);
}

TEST_CASE("stream dump on its own thread: an error comes back at a later call or at finish") {
  // The directory does not exist: creating the first file fails.
  StreamDumper dump("/nonexistent-netlines-dir", true);
  SessionView s = session(1, 42000);
  std::string big(StreamDumper::kGather, 'x');
  bool ok = true;
  for (int i = 0; i < 100 && ok; ++i) ok = dump.write(s, piece(Dir::c2s, uint64_t(i) * big.size(), big));
  ok = ok && dump.end(s) && dump.finish();
  CHECK_FALSE(ok);
  CHECK(dump.error() ==
        "/nonexistent-netlines-dir/010.000.000.001.42000-010.000.000.002.00080: write error: No such file or directory");
}
