#include <doctest/doctest.h>
#include <unistd.h>

#include <thread>

#include "libcore/stage/input.hpp"

using namespace nl;

namespace {
// Writes `text` into a pipe from a thread and returns the read end.
int pipe_with(const std::string& text, std::thread& writer) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  writer = std::thread([fd = fds[1], text] {
    size_t off = 0;
    while (off < text.size()) {
      size_t chunk = std::min<size_t>(7919, text.size() - off);  // odd sizes: lines straddle reads
      ssize_t n = ::write(fd, text.data() + off, chunk);
      if (n <= 0) break;
      off += size_t(n);
    }
    ::close(fd);
  });
  return fds[0];
}
}  // namespace

TEST_CASE("line reader: every line intact across buffer refills, last line without newline") {
  std::string text;
  std::vector<std::string> lines;
  for (int i = 0; i < 3000; ++i) {
    std::string l(size_t((i * 7919) % 1500), char('a' + i % 26));
    l += std::to_string(i);
    lines.push_back(l);
    text += l;
    if (i != 2999) text += '\n';
  }
  std::thread w;
  LineReader r(pipe_with(text, w), "");
  std::string_view line;
  size_t n = 0;
  while (r.next(line) == LineReader::Status::line) {
    REQUIRE(n < lines.size());
    CHECK(line == lines[n]);
    ++n;
  }
  w.join();
  CHECK(n == lines.size());
  CHECK(r.line_number() == lines.size());
}

TEST_CASE("line reader: an over-long line is skipped whole and counted, the next one read") {
  std::string text = "short\n" + std::string(300000, 'x') + "\nafter\n";
  std::thread w;
  LineReader r(pipe_with(text, w), "", 100000);
  std::string_view line;
  REQUIRE(r.next(line) == LineReader::Status::line);
  CHECK(line == "short");
  CHECK(r.next(line) == LineReader::Status::too_long);
  CHECK(r.line_number() == 2);
  REQUIRE(r.next(line) == LineReader::Status::line);
  CHECK(line == "after");
  CHECK(r.next(line) == LineReader::Status::end);
  w.join();
}

TEST_CASE("line reader: the sniffed prefix comes first") {
  std::thread w;
  LineReader r(pipe_with("c\nline2\n", w), "{\"a\":1}\nab");
  std::string_view line;
  REQUIRE(r.next(line) == LineReader::Status::line);
  CHECK(line == "{\"a\":1}");
  REQUIRE(r.next(line) == LineReader::Status::line);
  CHECK(line == "abc");
  REQUIRE(r.next(line) == LineReader::Status::line);
  CHECK(line == "line2");
  w.join();
}

TEST_CASE("line reader: a line far over the limit is skipped without being held") {
  // 6 MB in one line through a pipe, under a 64 KiB limit: the buffer must stop
  // growing at the limit (plus one read), not hold the line to find its end.
  const size_t max_line = 64 << 10;
  std::string text = "first\n" + std::string(6u << 20, 'y') + "\nnext\n" + std::string(max_line + 1, 'z') + "\nlast";
  std::thread w;
  LineReader r(pipe_with(text, w), "", max_line);
  std::string_view line;
  REQUIRE(r.next(line) == LineReader::Status::line);
  CHECK(line == "first");
  CHECK(r.next(line) == LineReader::Status::too_long);
  CHECK(r.buffer_capacity() <= 2 * max_line + 64);
  REQUIRE(r.next(line) == LineReader::Status::line);
  CHECK(line == "next");
  CHECK(r.next(line) == LineReader::Status::too_long);
  CHECK(r.line_number() == 4);
  REQUIRE(r.next(line) == LineReader::Status::line);
  CHECK(line == "last");
  CHECK(r.next(line) == LineReader::Status::end);
  CHECK(r.buffer_capacity() <= 2 * max_line + 64);
  w.join();
}

TEST_CASE("line reader: lines just under the limit still come whole") {
  const size_t max_line = 10000;
  std::string text;
  for (int i = 0; i < 50; ++i) text += std::string(max_line - size_t(i % 3), char('a' + i % 26)) + "\n";
  std::thread w;
  LineReader r(pipe_with(text, w), "", max_line);
  std::string_view line;
  int n = 0;
  while (r.next(line) == LineReader::Status::line) {
    CHECK(line.size() == max_line - size_t(n % 3));
    ++n;
  }
  CHECK(n == 50);
  CHECK(r.buffer_capacity() <= 2 * max_line + 64);
  w.join();
}

#include <fcntl.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "libcore/cli/common.hpp"

namespace {
// What `fn` writes to stderr.
template <class Fn>
std::string stderr_of(Fn&& fn) {
  char path[] = "/tmp/netlines_stderr_XXXXXX";
  int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  int saved = ::dup(2);
  ::dup2(fd, 2);
  fn();
  ::dup2(saved, 2);
  ::close(saved);
  ::close(fd);
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  ::unlink(path);
  return text.str();
}
LineProblem problem(const char* kind, std::string cause, std::string message = {}) {
  LineProblem p;
  p.set(kind, std::move(cause), std::move(message));
  return p;
}
}  // namespace

TEST_CASE("line problems: one message per cause and file, then the count of the rest") {
  cli::set_program("tool");
  LineProblems problems;
  std::string err = stderr_of([&] {
    problems.report("a.jsonl", 3, problem(line_problem::wrong_type, R"(field "ip": expected an object)",
                                          R"(field "ip": expected an object, got an array)"));
    for (uint64_t n = 4; n < 1238; ++n)
      problems.report("a.jsonl", n, problem(line_problem::wrong_type, R"(field "ip": expected an object)",
                                            R"(field "ip": expected an object, got a string)"));
    problems.report("a.jsonl", 2000, problem(line_problem::empty_line, "empty line"));
    problems.report("b.jsonl", 7, problem(line_problem::empty_line, "empty line"));
    problems.report("b.jsonl", 8, problem(line_problem::empty_line, "empty line"));
    problems.report("b.jsonl", 9, line_too_long_problem());
  });
  CHECK(err ==
        "tool: a.jsonl: record 3: field \"ip\": expected an object, got an array\n"
        "tool: a.jsonl: record 2000: empty line\n"
        "tool: b.jsonl: record 7: empty line\n"
        "tool: b.jsonl: record 9: line too long, skipped\n");
  err = stderr_of([&] { problems.finish(); });
  CHECK(err ==
        "tool: a.jsonl: 1234 more lines with the same problem (field \"ip\": expected an object)\n"
        "tool: b.jsonl: 1 more line with the same problem (empty line)\n");
  CHECK(problems.total() == 1239);
  CHECK(problems.by_kind().at("wrong_type") == 1235);
  CHECK(problems.by_kind().at("empty_line") == 3);
  CHECK(problems.by_kind().at("too_long") == 1);
}
