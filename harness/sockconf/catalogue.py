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
