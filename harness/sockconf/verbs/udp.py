"""Verbs of scripted UDP and multicast peers."""
from sockconf.language.registry import verb
from sockconf.run.stepfail import StepFailed, nothing_for

DEFAULT_TTL = 1


@verb("udp-bind", "HOST:host [PORT:port]", "places", "a UDP socket on HOST (PORT 0 or none: any port)")
def udp_bind(run, step, deadline):
    run.place_peer(step, step.a.host).udp_open(step.a.port or 0)


@verb("udp-send", "TARGET:target PORT:port BYTES:bytes...", "peer", "send a datagram to TARGET:PORT")
def udp_send(run, step, deadline):
    run.actor(step).udp_send(run.data(step.a.bytes), run.target(step.a.target), step.a.port)


@verb("udp-reply", "BYTES:bytes...", "peer", "send a datagram to the sender of the last one P received; "
      "with `via=Q` from Q's socket (a reply from another port or address)", options="via:peer")
def udp_reply(run, step, deadline):
    peer = run.actor(step)
    if peer.last_src is None:
        raise StepFailed("udp-reply before any datagram was received")
    sender = run.actors[step.opts["via"]] if "via" in step.opts else peer
    sender.udp_send(run.data(step.a.bytes), *peer.last_src)


@verb("mcast-join", "HOST:host GROUP:group PORT:port", "places", "join GROUP on HOST's interface, bound to PORT")
def mcast_join(run, step, deadline):
    host = step.a.host
    run.place_peer(step, host).udp_open(step.a.port, group=step.a.group, iface=run.topo.address(host))


@verb("mcast-send", "HOST:host GROUP:group PORT:port BYTES:bytes...", "places",
      "send to the group from HOST's interface with TTL N (default %d)" % DEFAULT_TTL, options="ttl:count")
def mcast_send(run, step, deadline):
    host = step.a.host
    run.place_peer(step, host).udp_send(run.data(step.a.bytes), step.a.group, step.a.port,
                                        ttl=step.opts.get("ttl", DEFAULT_TTL), iface=run.topo.address(host))


def check_source(run, step, src):
    host, colon, port = step.opts["src"].partition(":")
    want = (run.target(host), int(run.subst(port)) if colon else src[1])
    if src != want:
        raise StepFailed("datagram from the wrong source", expected=step.opts["src"], actual="%s:%d" % src)


def receive(run, step, deadline, to_group=False):
    expected = run.data(step.a.bytes)
    got = run.actor(step).udp_recv(deadline)
    if got is None:
        raise StepFailed("no datagram in time", expected="%d bytes" % len(expected), actual="nothing")
    data, src, ttl, dst = got
    if to_group and dst != run.actor(step).group:
        raise StepFailed("datagram was not sent to the group", expected="to %s" % run.actor(step).group,
                         actual="to %s" % dst)
    if "size" in step.opts:
        size = step.opts["size"]
        if len(data) != size or not data.startswith(expected):
            raise StepFailed("datagram is not %d bytes beginning with the expected ones (%d received)" % (
                size, len(data)), expected=expected, actual=data[:len(expected)] if len(data) == size else data)
    elif data != expected:
        raise StepFailed("datagram differs (%d expected, %d received)" % (len(expected), len(data)),
                         expected=expected, actual=data)
    if "src" in step.opts:
        check_source(run, step, src)
    if "ttl" in step.opts and ttl != step.opts["ttl"]:
        raise StepFailed("datagram arrived with the wrong TTL", expected="ttl %d" % step.opts["ttl"],
                         actual="ttl %s" % ttl)


@verb("udp-recv", "BYTES:bytes...", "peer",
      "one datagram of exactly these bytes (`size=N`: N bytes that begin with them, the rest left open)",
      options="src:source ttl:count size:count", checks=True)
def udp_recv(run, step, deadline):
    receive(run, step, deadline)


@verb("mcast-recv", "BYTES:bytes...", "peer",
      "one datagram sent to the group P joined (its destination address checked), its IP TTL checked with `ttl=N`",
      options="src:source ttl:count size:count", checks=True)
def mcast_recv(run, step, deadline):
    receive(run, step, deadline, to_group=True)


@verb("udp-nothing", "", "peer", "no datagram for S seconds", options="for:seconds", required="for", checks=True)
def udp_nothing(run, step, deadline):
    seconds = step.opts["for"]
    nothing_for(seconds, run.actor(step).udp_recv, "a datagram arrived", "nothing for %g s" % seconds,
                lambda got: "%d bytes from %s:%d to %s" % (len(got[0]), got[1][0], got[1][1], got[3]))
