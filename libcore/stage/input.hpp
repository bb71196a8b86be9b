// Stage input: each operand (or stdin, "-") is either a capture, recognised by its
// magic number, or JSON Lines from the stage before. Lines are read through a
// bounded buffer: a line longer than the cap is reported and skipped, not held.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "libcore/capture/reader.hpp"
#include "libcore/stage/decompress.hpp"
#include "libcore/record/problem.hpp"

namespace nl {

class LineReader {
 public:
  // Takes ownership of fd (closed on destruction unless it is 0). `prefix` is
  // data already read from fd (by the sniffer) that comes first.
  LineReader(int fd, std::string prefix, size_t max_line = 256u << 20);
  ~LineReader();
  enum class Status { line, too_long, end, error };
  // On `line`, `line` holds the line without its newline (valid until the next call).
  // On `too_long`, the whole over-long line was consumed and skipped: once it is
  // over max_line, what was buffered of it is dropped and the rest only searched
  // for its newline, so memory stays within about max_line plus one read.
  Status next(std::string_view& line);
  uint64_t line_number() const { return line_no_; }
  const std::string& error() const { return error_; }
  uint64_t bytes_read() const { return bytes_read_; }
  size_t buffer_capacity() const { return capacity_; }  // for tests: memory held

 private:
  bool fill();
  std::string_view view(size_t from, size_t to) const { return {buf_.get() + from, to - from}; }
  int fd_;
  // Bytes read and not yet returned are buf_[start_, size_). The buffer is grown
  // by hand: a std::string would zero every 256 KiB before each read overwrites it.
  std::unique_ptr<char[]> buf_;
  size_t size_ = 0, capacity_ = 0;
  size_t read_size_ = 0;  // bytes asked of each read(): 1 MiB, less under a small max_line
  size_t start_ = 0;
  size_t max_line_;
  uint64_t line_no_ = 0;
  uint64_t bytes_read_ = 0;
  bool eof_ = false;
  bool stopped_ = false;  // a stop signal ended the reading (interrupt.hpp)
  std::string error_;
};

struct StageInput {
  enum class Kind { capture, jsonl, failed } kind = Kind::failed;
  std::string name;                        // as given; "-" shown as "(stdin)"
  // A gzip or zstd input: the readers below read its plain bytes. Declared first,
  // so the readers (and their end of its pipe) go first.
  std::unique_ptr<Decompressor> decompressor;
  std::unique_ptr<CaptureSource> capture;  // kind == capture
  std::unique_ptr<LineReader> lines;       // kind == jsonl
  std::string error;                       // kind == failed: message for the user
};

// Opens an operand and decides what it holds. A file that is neither a capture nor
// starts like JSON ('{' after optional whitespace) fails with
// "not a pcap or pcapng file (nor JSON Lines)" unless accept_jsonl is false, in
// which case it fails with "not a pcap or pcapng file".
StageInput open_stage_input(const std::string& name, bool accept_jsonl);

// Problems of JSON input lines, told once per cause: the first line with a cause
// is named on stderr ("tool: file: record N: message"), later ones only counted,
// and finish() says how many more there were ("tool: file: 1234 more lines with
// the same problem (cause)"), rather than one stderr line per record. Counts by
// kind go to --stats.
class LineProblems {
 public:
  void report(const std::string& file, uint64_t line_no, const LineProblem& problem);
  // The counts of lines not named, per file and cause, in the order first seen.
  void finish();
  // Lines reported, by kind (bad_lines.<kind> in --stats).
  const std::map<std::string, uint64_t>& by_kind() const { return by_kind_; }
  uint64_t total() const { return total_; }

 private:
  std::map<std::pair<std::string, std::string>, uint64_t> more_;  // (file, cause) -> lines not named
  std::vector<std::pair<std::string, std::string>> order_;
  std::map<std::string, uint64_t> by_kind_;
  uint64_t total_ = 0;
};

// The problem of a line over LineReader's max_line.
LineProblem line_too_long_problem();

// The name to show in messages: "(stdin)" for "-".
std::string display_name(const std::string& name);

}  // namespace nl
