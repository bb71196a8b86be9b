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
