// tcpflow-style stream files: each direction of a session written to its own file
// (010.099.000.001.40004-010.099.000.002.00080), each piece at its stream offset so
// a gap leaves a hole. Descriptors are cached for the live sessions but never more
// than kMaxOpen at once, so a capture with a million flows needs no more fds than
// one with ten. Small pieces that continue each other are gathered and written
// together (most streams then take one write, not one per monologue); gathered
// bytes exist only for open files, so they are bounded by kMaxOpen * kGather.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <unordered_map>

#include "libcore/reasm/session.hpp"

namespace nl {

class StreamDumper {
 public:
  static constexpr size_t kMaxOpen = 64;
  static constexpr size_t kGather = 64u << 10;

  explicit StreamDumper(std::string dir) : dir_(std::move(dir)) {}
  ~StreamDumper();
  StreamDumper(const StreamDumper&) = delete;
  StreamDumper& operator=(const StreamDumper&) = delete;

  // False after a write error; error() then says which file and why.
  bool write(const SessionView& s, const MonologuePiece& p);
  // The session ended: its files are closed. False on a close error.
  bool end(const SessionView& s);
  // Closes every file (checking for errors, as close may report a failed write).
  bool finish();
  const std::string& error() const { return error_; }

 private:
  struct Stream {
    std::string path;
    int fd = -1;
    std::string gathered;      // bytes not written yet, continuing each other
    uint64_t gathered_at = 0;  // stream offset of gathered[0]
  };
  bool fail(const std::string& path);
  bool write_at(Stream& st, Bytes b, uint64_t offset);
  bool write_gathered(Stream& st);
  bool close_stream(Stream& st);
  bool close_all();
  // Creates the stream's file under the first unused name; `path` gets the name
  // (also on failure, for the message). Returns the descriptor or -1.
  int create_unused(const FlowKey& k, Dir d, std::string& path) const;

  std::string dir_;
  std::unordered_map<uint64_t, std::array<Stream, 2>> streams_;  // live sessions only
  size_t open_ = 0;
  std::string error_;
};

}  // namespace nl
