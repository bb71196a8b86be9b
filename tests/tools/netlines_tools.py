"""The list of binaries, read from cmd/tools.txt (the one place it is written)."""
import os

_SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def tools(reading=None):
    """Names in pipeline order; with `reading` ("pkt", "session"), only those that read it."""
    out = []
    with open(os.path.join(_SRC, "cmd", "tools.txt")) as f:
        for line in f:
            words = line.split("#", 1)[0].split()
            if words and (reading is None or reading in words[1:]):
                out.append(words[0])
    return out


def writes_capture(tool):
    """Whether the binary writes a capture (">pcap" in cmd/tools.txt), not JSON Lines."""
    with open(os.path.join(_SRC, "cmd", "tools.txt")) as f:
        for line in f:
            words = line.split("#", 1)[0].split()
            if words and words[0] == tool:
                return ">pcap" in words[1:]
    return False
