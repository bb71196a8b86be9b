// libnetlines' umbrella header: it compiles on its own (first include here) and
// its version macros agree with each other.
#include "libcore/netlines.hpp"

#include <string>

#include <doctest/doctest.h>

TEST_CASE("libnetlines: NETLINES_VERSION is MAJOR.MINOR.PATCH") {
  std::string parts = std::to_string(NETLINES_VERSION_MAJOR) + "." + std::to_string(NETLINES_VERSION_MINOR) + "." +
                      std::to_string(NETLINES_VERSION_PATCH);
  CHECK(parts == NETLINES_VERSION);
}
