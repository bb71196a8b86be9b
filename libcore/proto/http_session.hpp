// HTTP over reassembled TCP sessions: the SessionSink that runs one
// HttpSessionParser per session and hands each finished transaction on.
#pragma once
#include <functional>
#include <memory>
#include <unordered_map>

#include "libcore/proto/http.hpp"
#include "libcore/reasm/session.hpp"

namespace nl {

// One HttpSessionParser per TCP session, driven by the reassembler's calls. A
// parser is made with a session's first bytes (a SYN flood of sessions that never
// carry data costs no parser at all) and freed at session_end. Once it is done
// (non-HTTP, tunnel, both directions stopped) the next piece clears
// SessionView::want_data so the engine may stop buffering that session.
class HttpSessionSink : public SessionSink {
 public:
  using Emit = std::function<void(const SessionView&, const HttpTransaction&)>;
  // opts must outlive the sink.
  HttpSessionSink(const HttpOptions& opts, Emit emit) : opts_(opts), emit_(std::move(emit)) {}

  void session_start(const SessionView&) override {}
  void monologue(const SessionView& s, const MonologuePiece& p) override;
  void session_end(const SessionView& s, const SessionEnd& e) override;
  const HttpStats& stats() const { return stats_; }

 private:
  const HttpOptions& opts_;
  Emit emit_;
  HttpStats stats_;
  const SessionView* cur_ = nullptr;  // the view of the call in progress (emit's argument)
  std::unordered_map<uint64_t, std::unique_ptr<HttpSessionParser>> parsers_;
};

}  // namespace nl
