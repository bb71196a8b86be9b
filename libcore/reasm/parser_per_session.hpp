// A SessionSink that runs one protocol parser per TCP session, the shape every
// stream analyser shares (http_session, cred_session).
#pragma once
#include <cstddef>
#include <memory>
#include <unordered_map>

#include "libcore/reasm/session.hpp"

namespace nl {

// A parser is made with a session's first bytes (a SYN flood of sessions that never
// carry data costs no parser at all), fed each piece, finished and freed at
// session_end. Once it is done (not its protocol, a tunnel, nothing more to find)
// the next piece clears SessionView::want_data so the engine may stop buffering that
// session. Parser: feed(const MonologuePiece&), finish(EndReason), done().
template <class Parser>
class ParserPerSession : public SessionSink {
 public:
  void session_start(const SessionView&) override {}

  void monologue(const SessionView& s, const MonologuePiece& p) override {
    auto it = parsers_.find(s.session_no);
    if (it == parsers_.end()) it = parsers_.emplace(s.session_no, make_parser()).first;
    if (it->second->done()) {
      ignored(p.data.size());
      s.want_data = false;
      return;
    }
    cur_ = &s;
    it->second->feed(p);
  }

  void session_end(const SessionView& s, const SessionEnd& e) override {
    auto it = parsers_.find(s.session_no);
    if (it == parsers_.end()) return;
    cur_ = &s;
    it->second->finish(e.reason);
    parsers_.erase(it);
  }

 protected:
  virtual std::unique_ptr<Parser> make_parser() = 0;
  // Bytes of a session whose parser is done.
  virtual void ignored(size_t) {}
  // The session of the call in progress: what the parsers' emitters report on.
  const SessionView& current() const { return *cur_; }

 private:
  const SessionView* cur_ = nullptr;
  std::unordered_map<uint64_t, std::unique_ptr<Parser>> parsers_;
};

}  // namespace nl
