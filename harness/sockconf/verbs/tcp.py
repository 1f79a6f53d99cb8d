"""Verbs of scripted TCP peers, and of TCP sockets seen from a host."""
import time

from sockconf.hosts import procfs, sockdiag
from sockconf.hosts.netns import in_netns
from sockconf.language.notation import quote
from sockconf.language.registry import verb
from sockconf.run.stepfail import StepFailed

STREAM_STATES = {"eof": "end of stream (the peer closed)", "reset": "connection reset by the peer",
                 "open": "connection open, nothing received", "data": "more data"}
SHOWN_CHARS = 160          # characters of unexpected bytes a report shows


def connect(run, step, deadline):
    """Connect P from HOST; True when connected, False when refused."""
    peer = run.place_peer(step, step.a.host)
    try:
        peer.tcp_connect(run.target(step.a.target), step.a.port, deadline)
    except ConnectionRefusedError:
        return False
    return True


@verb("tcp-connect", "HOST:host TARGET:target PORT:port", "places", "connect from HOST to TARGET")
def tcp_connect(run, step, deadline):
    if not connect(run, step, deadline):
        raise StepFailed("connection refused", expected="connected", actual="refused")
    return run.timeline.now()


@verb("tcp-refused", "HOST:host TARGET:target PORT:port", "places", "the connection must be refused", checks=True)
def tcp_refused(run, step, deadline):
    if connect(run, step, deadline):
        raise StepFailed("connection accepted", expected="refused", actual="connected")


@verb("tcp-listen", "HOST:host PORT:port", "places", "listen on HOST, to be the server of a client under test")
def tcp_listen(run, step, deadline):
    run.place_peer(step, step.a.host).tcp_listen(step.a.port)


@verb("accept", "", "peer", "accept the next connection on P's listening socket")
def accept(run, step, deadline):
    run.actor(step).tcp_accept(deadline)


@verb("send", "BYTES:bytes...", "peer", "send exactly these bytes")
def send(run, step, deadline):
    run.actor(step).send(run.data(step.a.bytes))


@verb("recv", "BYTES:bytes...", "peer", "receive exactly these bytes (no more, no fewer, in any pieces)", checks=True)
def recv(run, step, deadline):
    expected = run.data(step.a.bytes)
    got = run.actor(step).recv_exact(len(expected), deadline)
    if got != expected:
        raise StepFailed("received bytes differ (%d expected, %d received)" % (len(expected), len(got)),
                         expected=expected, actual=got)


def stream_end(run, step, deadline, want):
    state, data = run.actor(step).recv_state(deadline)
    if state != want:
        actual = STREAM_STATES[state]
        if state == "data":
            actual = "%d more bytes: %s" % (len(data), quote(data, SHOWN_CHARS))
        raise StepFailed("the connection is not in the expected state", expected=STREAM_STATES[want],
                         actual=actual)


@verb("recv-eof", "", "peer", "the other side closes next", checks=True)
def recv_eof(run, step, deadline):
    stream_end(run, step, deadline, "eof")


@verb("recv-reset", "", "peer", "the other side resets the connection next", checks=True)
def recv_reset(run, step, deadline):
    stream_end(run, step, deadline, "reset")


@verb("recv-nothing", "", "peer", "nothing arrives and the connection stays open for S seconds",
      options="for:seconds", required="for", checks=True)
def recv_nothing(run, step, deadline):
    stream_end(run, step, time.monotonic() + step.opts["for"], "open")


@verb("close", "", "peer", "close the connection")
def close(run, step, deadline):
    run.actor(step).close()


@verb("reset", "", "peer", "close with RST (SO_LINGER 0)")
def reset(run, step, deadline):
    run.actor(step).reset()


@verb("tcp-state", "HOST:host PORT:port STATE:state", "label",
      "a socket of local PORT on HOST reaches STATE (polled); with `count=N` exactly N sockets are in it "
      "(0: a reset connection is gone)", options="count:count", checks=True)
def tcp_state(run, step, deadline):
    want = step.opts.get("count")

    def satisfied(states):
        found = states.count(step.a.state)
        return found >= 1 if want is None else found == want

    def states_now():
        return [s.state for s in procfs.tcp_sockets() if s.local_port == step.a.port]
    states = []

    def check():
        states[:] = in_netns(run.topo.ns(step.a.host), states_now)
        return None if satisfied(states) else states
    run.poll(deadline, check)
    run.timeline.add("harness", "tcp", "host %s port %d states %s" % (step.a.host, step.a.port, states))
    if not satisfied(states):
        raise StepFailed("sockets of local port %d on host %s are not as expected" % (step.a.port, step.a.host),
                         expected=step.a.state if want is None else "%d in %s" % (want, step.a.state),
                         actual=" ".join(states) or "none")


@verb("backlog", "HOST:host PORT:port N:count", "label",
      "the socket listening on PORT of HOST has the `listen()` backlog N (ss's Send-Q)", checks=True)
def backlog(run, step, deadline):
    found = []

    def check():
        found[:] = in_netns(run.topo.ns(step.a.host), sockdiag.listen_backlogs, step.a.port)
        return None if found else "none"
    run.poll(deadline, check)
    run.timeline.add("harness", "tcp", "host %s port %d listen backlogs %s" % (step.a.host, step.a.port, found))
    if found != [step.a.n]:
        raise StepFailed("wrong listen() backlog on port %d of host %s" % (step.a.port, step.a.host),
                         expected="backlog %d" % step.a.n,
                         actual=" ".join("backlog %d" % b for b in found) or "not listening")
