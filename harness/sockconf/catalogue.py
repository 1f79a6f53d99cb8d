"""The programs the suite knows: the tutorial's nine and the three design
servers, and the worker each design server starts from its own folder."""

PROGRAMS = ("select", "tcpserver", "tcpclient", "udpserver", "udpclient",
            "iserver", "comclient", "mcastserver", "mcastclient",
            "spawnserver", "sendmsgserver", "acceptserver")
# A design server starts its workers from its own folder: they come with it.
WORKERS = {"spawnserver": "spawnworker", "sendmsgserver": "recvmsgworker", "acceptserver": "acceptworker"}
# The client and the server that cases pair, as make interop draws them (rows: clients, columns: servers).
# mcastclient receives what mcastserver sends: the tutorial's names, kept.
CLIENT_SERVER = (("tcpclient", "tcpserver"), ("udpclient", "udpserver"), ("comclient", "iserver"),
                 ("comclient", "spawnserver"), ("comclient", "sendmsgserver"), ("comclient", "acceptserver"),
                 ("mcastclient", "mcastserver"))
# The port each program listens on, or sends to (a client: its server's), as the listings define them
# (tests/SPEC.md "Ports, buffers and bytes"); the design servers take iserver's.
PORTS = {"select": 2020, "tcpserver": 3111, "tcpclient": 3111, "udpserver": 3333, "udpclient": 3333,
         "iserver": 12345, "comclient": 12345, "mcastserver": 4321, "mcastclient": 4321,
         "spawnserver": 12345, "sendmsgserver": 12345, "acceptserver": 12345}
GROUP = "226.1.1.1"    # the multicast group of mcastserver and mcastclient
