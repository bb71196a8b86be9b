// Option parsing: the one part of libcore that includes CLI11. Every binary
// declares its own options here and takes the options every capture reader shares
// (inputs, -f, -i, -c, -s, -p, -B, --immediate-mode, --line-buffered, --time,
// --strict, --pass, --stats, --shard, --fanout, --progress) from
// add_capture_options, so they read and behave the same in every tool.
#pragma once
#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>

#include "libcore/cli/capture_options.hpp"
#include "libcore/cli/progress.hpp"

namespace nl::cli {

// The last step of every binary's option set-up: adds --version and ends --help
// with the exit statuses (`status_1` says when the status is 1, "an input had
// problems"; the rest is the same for every binary), then parses. On error prints
// one line plus "Try 'tool --help'" and exits 2; --help prints to stdout and exits
// 0; --version likewise. Returns only on success.
void parse_or_exit(CLI::App& app, int argc, char** argv, const std::string& status_1);
// Adds an option taking a size ("1M"); the value is checked when parsed.
CLI::Option* add_size_option(CLI::App& app, const std::string& name, uint64_t& target, const std::string& help);
// Adds --progress and --no-progress; the last one given wins.
void add_progress_options(CLI::App& app, ProgressMode& mode);

// Which of the shared options a binary offers: --strict and --pass only where it
// reads JSON Lines.
struct CaptureOptionSet {
  const char* inputs_help = "Captures or JSON Lines of the stage before ('-' for standard input)";
  bool reads_json_lines = true;
  const char* pass_help = "Copy input records of types this tool does not consume to the output unchanged";
  bool writes_records = true;  // false (pkt2pcap writes a capture): no --time, no --pass
};
// --pass of the analysers of tcpflow-reasm output.
inline constexpr const char* kPassSessionsHelp =
    "Copy input records to the output unchanged: other types, and the tcpflow-reasm records read,\n"
    "so several analysers in a pipe share one reassembly";
// Adds the shared options (FILE..., -f, -i, -s, -p, -c, -B, --immediate-mode,
// --line-buffered, --time, --strict, --pass,
// --stats, --progress, --no-progress) to `app`, filling `o`.
void add_capture_options(CLI::App& app, CaptureOptions& o, const CaptureOptionSet& set = {});
// After parse_or_exit: checks --time and the filter (printing the usage message)
// and fills what follows from them. False: exit with kExitUsage.
bool check_capture_options(CaptureOptions& o);

}  // namespace nl::cli
