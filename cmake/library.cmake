# libnetlines: libcore installed as a static library a C++ program builds against.
#   <prefix>/lib/libnetlines.a
#   <prefix>/include/netlines/libcore/...     (#include "libcore/netlines.hpp")
#   <prefix>/lib/cmake/netlines/              (find_package(netlines) -> netlines::netlines)
#   <prefix>/lib/pkgconfig/netlines.pc        (pkg-config --cflags --libs netlines)
# docs/LIBRARY.md says what is public and what stays stable.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set_target_properties(core PROPERTIES OUTPUT_NAME netlines EXPORT_NAME netlines)
add_library(netlines::netlines ALIAS core)
# The public headers use C++20 (std::span); the library itself is built as C++23.
target_compile_features(core INTERFACE cxx_std_20)
target_include_directories(core INTERFACE $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}/netlines>)
# An instrumented build installs an instrumented library: its users link the runtimes too.
if(NETLINES_SANITIZE)
  target_link_options(core INTERFACE $<INSTALL_INTERFACE:-fsanitize=address,undefined>)
  set(NETLINES_PC_SANITIZE " -fsanitize=address,undefined")
endif()

install(TARGETS core EXPORT netlinesTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})

# Headers: the public ones (libcore/netlines.hpp lists them) and every libcore
# header they include, transitively, found when installing so that a header
# added under libcore/proto/ or a new include is picked up without an edit here.
set(NETLINES_PUBLIC_HEADERS
  libcore/netlines.hpp libcore/capture/reader.hpp libcore/decode/packet.hpp
  libcore/reasm/session.hpp libcore/reasm/tcp.hpp libcore/reasm/datagrams.hpp
  libcore/stage/packet_loop.hpp libcore/stage/session_loop.hpp
  libcore/json/writer.hpp "libcore/proto/*.hpp")
install(CODE "
  set(NL_SOURCE_DIR \"${CMAKE_SOURCE_DIR}\")
  set(NL_GENERATED_DIR \"${CMAKE_BINARY_DIR}/generated\")
  set(NL_INCLUDEDIR \"${CMAKE_INSTALL_INCLUDEDIR}/netlines\")
  set(NL_PUBLIC_HEADERS \"${NETLINES_PUBLIC_HEADERS}\")
  include(\"${CMAKE_SOURCE_DIR}/cmake/install-headers.cmake\")")

set(NETLINES_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/netlines)
install(EXPORT netlinesTargets NAMESPACE netlines:: DESTINATION ${NETLINES_CMAKEDIR})
configure_package_config_file(cmake/netlinesConfig.cmake.in ${CMAKE_BINARY_DIR}/netlinesConfig.cmake
  INSTALL_DESTINATION ${NETLINES_CMAKEDIR})
# 0.x: a minor release may change the API (docs/LIBRARY.md).
write_basic_package_version_file(${CMAKE_BINARY_DIR}/netlinesConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/netlinesConfig.cmake ${CMAKE_BINARY_DIR}/netlinesConfigVersion.cmake
  DESTINATION ${NETLINES_CMAKEDIR})

# The .pc file finds the prefix from its own place, so `cmake --install --prefix`
# anywhere gives a working one.
file(RELATIVE_PATH NETLINES_PC_TO_PREFIX "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
string(REGEX REPLACE "/$" "" NETLINES_PC_TO_PREFIX "${NETLINES_PC_TO_PREFIX}")
configure_file(cmake/netlines.pc.in ${CMAKE_BINARY_DIR}/netlines.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/netlines.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# The examples, for `cmake -S <prefix>/share/netlines/examples/<name>` (README cookbook).
install(DIRECTORY examples/ DESTINATION ${CMAKE_INSTALL_DATADIR}/netlines/examples)
install(FILES man/libnetlines.3 DESTINATION ${CMAKE_INSTALL_MANDIR}/man3)
