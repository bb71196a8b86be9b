// AF_PACKET fanout (Linux): N capturing processes join one group and the kernel
// hands each packet to one of them by a hash of its flow, computed after IP
// defragmentation, so every fragment of a datagram goes where its flow goes (the
// way Zeek's and Suricata's workers split a link).
#include "libcore/capture/live.hpp"

#include <cerrno>
#include <cstring>

#ifdef __linux__
#include <linux/if_packet.h>
#include <sys/socket.h>
#endif

namespace nl {

bool join_fanout(int fd, int group, std::string& error) {
#ifdef __linux__
  if (fd < 0) {
    error = "--fanout: the capture has no packet socket";
    return false;
  }
  const int type = PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG;
  const int arg = (group & 0xffff) | (type << 16);
  if (::setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof arg) != 0) {
    error = std::string("--fanout ") + std::to_string(group) + ": " + std::strerror(errno) +
            (errno == EINVAL ? " (a group of another type or other settings uses this id)" : "");
    return false;
  }
  return true;
#else
  (void)fd;
  (void)group;
  error = "--fanout: AF_PACKET fanout is Linux only";
  return false;
#endif
}

}  // namespace nl
