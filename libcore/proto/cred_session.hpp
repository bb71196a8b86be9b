// Logins over reassembled TCP sessions: the SessionSink that runs one
// CredSessionParser per session and hands each attempt and each SMTP
// transaction on.
#pragma once
#include <functional>
#include <memory>

#include "libcore/proto/cred.hpp"
#include "libcore/reasm/parser_per_session.hpp"

namespace nl {

// One CredSessionParser per TCP session (reasm/parser_per_session.hpp): done once
// the session is not a login protocol, turned to TLS, or authenticated.
class CredSessionSink : public ParserPerSession<CredSessionParser> {
 public:
  using EmitCred = std::function<void(const SessionView&, const CredAttempt&)>;
  using EmitSmtp = std::function<void(const SessionView&, const SmtpTransaction&)>;
  // opts must outlive the sink.
  CredSessionSink(const CredOptions& opts, EmitCred cred, EmitSmtp smtp)
      : opts_(opts), cred_(std::move(cred)), smtp_(std::move(smtp)) {}

  const CredStats& stats() const { return stats_; }

 private:
  std::unique_ptr<CredSessionParser> make_parser() override;
  void ignored(size_t bytes) override { stats_.bytes_ignored += bytes; }

  const CredOptions& opts_;
  EmitCred cred_;
  EmitSmtp smtp_;
  CredStats stats_;
};

}  // namespace nl
