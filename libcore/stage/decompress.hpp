// Compressed inputs: a capture or JSON Lines compressed with gzip or zstd is
// recognised by its magic number (files and stdin alike) and inflated by a thread
// of its own into a pipe, so the capture and line readers read plain bytes as
// from any pipe. Streaming: memory is the pipe and two buffers, never the file.
#pragma once
#include <memory>
#include <string>
#include <string_view>

namespace nl {

enum class Compression { none, gzip, zstd };

// From the first bytes of an input (4 are enough).
Compression compression_of(std::string_view first_bytes);

class Decompressor {
 public:
  // Takes ownership of fd (closed when done, unless it is 0); `prefix` holds the
  // bytes already read from it. On failure (no pipe, no thread) out_fd() is -1 and
  // error() says why.
  Decompressor(int fd, std::string prefix, Compression c);
  ~Decompressor();
  Decompressor(const Decompressor&) = delete;
  Decompressor& operator=(const Decompressor&) = delete;

  // The plain bytes: the caller owns this fd and closes it.
  int out_fd() const { return out_fd_; }
  // Once out_fd() reached its end: what went wrong with the compressed data
  // ("gzip: unexpected end of data", "zstd: ..."), or empty.
  std::string error() const;

 private:
  struct Shared;
  std::shared_ptr<Shared> shared_;  // with the inflating thread, which may outlive this
  int out_fd_ = -1;
};

}  // namespace nl
