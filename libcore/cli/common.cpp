#include "libcore/cli/common.hpp"

#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "version.hpp"

namespace nl::cli {
namespace {
std::string g_program = "netlines";

void write_stderr(const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::write(2, s.data() + off, s.size() - off);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      return;
    }
    off += size_t(n);
  }
}
}  // namespace

void set_program(std::string name) { g_program = std::move(name); }
const std::string& program() { return g_program; }

void error(std::string_view message) {
  write_stderr(g_program + ": " + std::string(message) + "\n");
}
void error(std::string_view file, std::string_view message) {
  write_stderr(g_program + ": " + std::string(file) + ": " + std::string(message) + "\n");
}
void error(std::string_view file, uint64_t record, std::string_view message) {
  write_stderr(g_program + ": " + std::string(file) + ": record " + std::to_string(record) + ": " +
               std::string(message) + "\n");
}

Output& Output::stdout_() {
  static Output out;
  return out;
}

void Output::flush() {
  size_t off = 0;
  while (off < buf_.size()) {
    ssize_t n = ::write(1, buf_.data() + off, buf_.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EPIPE) std::_Exit(kExitOk);  // reader closed the pipe: a normal end
      error(std::string("write error: ") + std::strerror(errno));
      std::_Exit(kExitInput);
    }
    off += size_t(n);
  }
  buf_.clear();
}

void Output::finish() {
  flush();
  if (::close(1) != 0 && errno != EBADF) {
    if (errno == EPIPE) std::_Exit(kExitOk);
    error(std::string("write error: ") + std::strerror(errno));
    std::_Exit(kExitInput);
  }
}

void add_version_flag(CLI::App& app) {
  app.add_flag_callback(
      "--version",
      [] {
        std::string v = g_program + " (netlines) " NETLINES_VERSION "\n";
        Output::stdout_().buffer() += v;
        Output::stdout_().finish();
        std::exit(kExitOk);
      },
      "Print the version and exit");
}

void parse_or_exit(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    Output::stdout_().buffer() += app.help();
    Output::stdout_().finish();
    std::exit(kExitOk);
  } catch (const CLI::CallForAllHelp&) {
    Output::stdout_().buffer() += app.help("", CLI::AppFormatMode::All);
    Output::stdout_().finish();
    std::exit(kExitOk);
  } catch (const CLI::ParseError& e) {
    std::string what = e.what();
    error(what);
    write_stderr("Try '" + g_program + " --help' for more information.\n");
    std::exit(kExitUsage);
  }
}

void init(int, char**, std::string name) {
  set_program(std::move(name));
  std::signal(SIGPIPE, SIG_IGN);
}

}  // namespace nl::cli
