// Prints each monologue of every TCP session in a capture, as Net::Analysis does:
// the bytes one side sent before the other side answered, with its direction,
// its size and its first bytes.   usage: monologues CAPTURE
#include <cctype>
#include <cstdio>
#include <string>
#include <unordered_map>

#include "libcore/netlines.hpp"

// The TCP engine calls a SessionSink with a session's start, its monologues in
// order (in pieces: at a gap or every 1 MiB) and its end.
class MonologuePrinter : public nl::SessionSink {
 public:
  void session_start(const nl::SessionView& s) override {
    std::string client, server;
    nl::append_ip(client, s.key.src);
    nl::append_ip(server, s.key.dst);
    std::printf("session %llu %s:%u -> %s:%u\n", (unsigned long long)s.session_no, client.c_str(),
                s.key.sport, server.c_str(), s.key.dport);
  }
  void monologue(const nl::SessionView& s, const nl::MonologuePiece& p) override {
    Monologue& m = open_[s.session_no];  // sessions interleave: one monologue open in each
    if (p.piece_no == 0) m = {};
    m.bytes += p.data.size();
    for (size_t i = 0; i < p.data.size() && m.first.size() < 32; ++i)  // data is valid only now
      m.first += std::isprint(p.data[i]) ? char(p.data[i]) : '.';
    if (p.last)
      std::printf("  %llu.%llu %s %llu bytes: %s\n", (unsigned long long)s.session_no,
                  (unsigned long long)p.monologue_no, nl::dir_name(p.dir), (unsigned long long)m.bytes,
                  m.first.c_str());
  }
  void session_end(const nl::SessionView& s, const nl::SessionEnd& e) override {
    open_.erase(s.session_no);
    std::printf("  %llu end: %s\n", (unsigned long long)s.session_no, nl::end_reason_name(e.reason));
  }

 private:
  struct Monologue {
    uint64_t bytes = 0;
    std::string first;
  };
  std::unordered_map<uint64_t, Monologue> open_;
};

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: monologues CAPTURE\n");
    return 2;
  }
  nl::cli::set_program("monologues");  // prefixes the loop's messages on stderr
  nl::SessionLoopOptions opt;
  opt.packets.inputs = {argv[1]};
  MonologuePrinter printer;
  nl::SessionLoopHandlers handlers;
  handlers.sink = &printer;
  nl::SessionLoopStats stats;
  return nl::run_session_loop(opt, handlers, stats);
}
