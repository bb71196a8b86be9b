// tcpflow-style stream files: each direction of a session written to its own file
// (010.099.000.001.40004-010.099.000.002.00080), each piece at its stream offset so
// a gap leaves a hole. Descriptors are cached for the live sessions but never more
// than kMaxOpen at once, so a capture with a million flows needs no more fds than
// one with ten. Small pieces that continue each other are gathered and written
// together (most streams then take one write, not one per monologue); gathered
// bytes exist only for open files, so they are bounded by kMaxOpen * kGather.
//
// Threaded, the file system calls (half of a --dump run's time) run on a thread of
// their own: write() and end() only copy into a batch, the thread does the rest in
// the same order, and an error comes back at a later call or at finish().
#pragma once
#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "libcore/reasm/session.hpp"

namespace nl {

class StreamDumper {
 public:
  static constexpr size_t kMaxOpen = 64;
  static constexpr size_t kGather = 64u << 10;

  explicit StreamDumper(std::string dir, bool threaded = false);
  ~StreamDumper();
  StreamDumper(const StreamDumper&) = delete;
  StreamDumper& operator=(const StreamDumper&) = delete;

  // False after a write error; error() then says which file and why.
  bool write(const SessionView& s, const MonologuePiece& p);
  // The session ended: its files are closed. False on a close error.
  bool end(const SessionView& s);
  // Threaded: hands what is queued to the thread now (a live capture gone quiet).
  void flush();
  // Closes every file (checking for errors, as close may report a failed write).
  bool finish();
  const std::string& error() const { return error_; }

 private:
  bool write_now(uint64_t session_no, const FlowKey& key, Dir d, uint64_t offset, Bytes data);
  bool end_now(uint64_t session_no);
  bool finish_now();

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

  // Threaded mode: batches of operations, filled by the caller, done by thread_.
  struct Op {
    uint64_t session_no = 0;
    FlowKey key;
    uint64_t offset = 0;
    size_t at = 0, len = 0;  // bytes in the batch
    Dir dir = Dir::c2s;
    bool end = false;        // end(session_no); otherwise a write
  };
  struct Batch {
    std::vector<Op> ops;
    std::vector<uint8_t> bytes;
  };
  // Big enough that handing over is rare, few enough to bound memory.
  static constexpr size_t kBatchBytes = 1u << 20;
  static constexpr size_t kMaxBatches = 4;
  static constexpr size_t kBatchOps = 16384;
  void submit();
  void run();
  void stop_thread();  // after everything queued is done
  std::unique_ptr<Batch> filling_;
  std::mutex mutex_;
  std::condition_variable work_;      // batches to do, or stop
  std::condition_variable returned_;  // a batch done (free again)
  std::deque<std::unique_ptr<Batch>> full_, free_;
  size_t batches_ = 0;                // allocated, at most kMaxBatches
  bool stop_ = false;
  std::atomic<bool> failed_{false};   // set by the thread after error_
  std::thread thread_;
};

}  // namespace nl
