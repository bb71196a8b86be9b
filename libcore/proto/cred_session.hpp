// Logins over reassembled TCP sessions: the SessionSink that runs one
// CredSessionParser per session and hands each attempt and each SMTP
// transaction on.
#pragma once
#include <functional>
#include <memory>
#include <unordered_map>

#include "libcore/proto/cred.hpp"
#include "libcore/reasm/session.hpp"

namespace nl {

// A parser is made with a session's first bytes and freed at session_end. Once it
// is done (not a login protocol, TLS, authenticated) the next piece clears
// SessionView::want_data so the engine may stop buffering that session.
class CredSessionSink : public SessionSink {
 public:
  using EmitCred = std::function<void(const SessionView&, const CredAttempt&)>;
  using EmitSmtp = std::function<void(const SessionView&, const SmtpTransaction&)>;
  // opts must outlive the sink.
  CredSessionSink(const CredOptions& opts, EmitCred cred, EmitSmtp smtp)
      : opts_(opts), cred_(std::move(cred)), smtp_(std::move(smtp)) {}

  void session_start(const SessionView&) override {}
  void monologue(const SessionView& s, const MonologuePiece& p) override;
  void session_end(const SessionView& s, const SessionEnd& e) override;
  const CredStats& stats() const { return stats_; }

 private:
  const CredOptions& opts_;
  EmitCred cred_;
  EmitSmtp smtp_;
  CredStats stats_;
  const SessionView* cur_ = nullptr;  // the view of the call in progress (the emitters' argument)
  std::unordered_map<uint64_t, std::unique_ptr<CredSessionParser>> parsers_;
};

}  // namespace nl
