"""A run's warm pytest-xdist workers: each is forked from a copy of the controller that has pytest, the
harness and the checked cases loaded already, instead of being a new interpreter that imports and reads
them all (about 0.3 s of CPU a worker; a lone run of the suite starts six).

start() forks the server from the controller, at the plugin's pytest_configure, while the controller has
no other thread.  spec() is the `--tx` spec whose "python" is sockconf-forkworker (src/launch/forkworker.c): execnet
starts it with the worker's pipes; it passes them and execnet's bootstrap code over the server's socket;
the server forks a worker that runs the code on those pipes and tells the stand-in its pid and, once it
has ended, its wait status, which the stand-in ends with.  A stand-in that is killed closes its socket:
the server kills its worker.  stop() ends the server; the server ends with the controller too.

Only this process's own user connects: the socket is a file of mode 0600 in the run's own state folder,
and the server checks each peer's credentials.
"""
import array
import ctypes
import io
import os
import selectors
import signal
import socket
import struct
import sys
import time
import traceback
import types

from sockconf.paths import FORKWORKER

SOCKET_NAME = "forkserver.sock"
PR_SET_PDEATHSIG = 1          # <linux/prctl.h>
STOP_WAIT = 5.0               # seconds stop() waits for the killed server to be reaped
REQUEST_MAX = 1 << 16         # bytes of code in a request (execnet's bootstrap line is 44)
INT = struct.Struct("i")      # a pid, or a wait status, as the stand-in reads them

_libc = ctypes.CDLL(None, use_errno=True)


class Server:
    """The running server: its pid and the path of its socket."""

    def __init__(self, pid, path):
        self.pid = pid
        self.path = path
        try:                           # signals go to this very process, even once another wait reaped it
            self.pidfd = os.pidfd_open(pid)
        except OSError:                # a kernel before 5.3: by its pid
            self.pidfd = None

    def spec(self):
        """The xdist --tx spec of a worker forked by this server."""
        return "popen//python=%s %s" % (FORKWORKER, self.path)

    def stop(self):
        """End the server (SIGTERM: it kills and reaps any worker left, so the workers' CPU counts in this
        process's children from now on) and reap it; past STOP_WAIT, kill it.  Once is enough: later
        calls do nothing (its pid may be another process's by then)."""
        pid, self.pid = self.pid, None
        try:
            for signo in (signal.SIGTERM, signal.SIGKILL) if pid else ():
                self._signal(pid, signo)
                deadline = time.monotonic() + STOP_WAIT
                while time.monotonic() < deadline:
                    if os.waitpid(pid, os.WNOHANG)[0]:
                        return
                    time.sleep(0.002)
        except (ProcessLookupError, ChildProcessError):      # reaped by another wait of this process
            pass
        finally:
            if self.pidfd is not None:
                os.close(self.pidfd)
                self.pidfd = None

    def _signal(self, pid, signo):
        if self.pidfd is not None:
            signal.pidfd_send_signal(self.pidfd, signo)
        else:
            os.kill(pid, signo)


def start(directory):
    """The server, listening on DIRECTORY/forkserver.sock, or None when sockconf-forkworker is not
    built or the socket cannot be made (the workers are new interpreters then).  Call it while this
    process has no other thread."""
    if not os.access(FORKWORKER, os.X_OK):
        return None
    path = os.path.join(directory, SOCKET_NAME)
    try:
        listener = _listener(directory, path)
    except OSError as exc:
        print("sockconf: the workers start as new interpreters: %s" % exc, file=sys.stderr)
        return None
    parent = os.getpid()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        try:
            _serve(listener, parent)
        except BaseException:          # noqa: B902 (the forked server never returns into the controller)
            traceback.print_exc()
        os._exit(1)
    listener.close()
    return Server(pid, path)


def _listener(directory, path):
    """A socket listening on PATH (mode 0600) in DIRECTORY."""
    os.makedirs(directory, exist_ok=True)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    mask = os.umask(0o177)
    try:
        listener.bind(path)
    except OSError as exc:
        listener.close()
        raise OSError(exc.errno, "bind(%s): %s" % (path, exc.strerror)) from None
    finally:
        os.umask(mask)
    listener.listen(64)
    return listener


def _serve(listener, parent):
    """The server's loop: accept stand-ins, fork their workers, report the workers' ends."""
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(0)
    signal.signal(signal.SIGINT, signal.SIG_IGN)      # a terminal's Ctrl-C is the controller's and the workers'
    _close_all_but([listener.fileno()])
    wake_read, wake_write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    signal.set_wakeup_fd(wake_write)
    stopping = []
    signal.signal(signal.SIGTERM, lambda signo, frame: stopping.append(signo))
    signal.signal(signal.SIGCHLD, lambda signo, frame: None)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, "accept")
    selector.register(wake_read, selectors.EVENT_READ, "reap")
    stand_ins = {}                     # worker pid -> its stand-in's socket
    while not stopping:
        for key, _ in selector.select():
            if key.data == "accept":
                _accept(listener, selector, stand_ins, [wake_read, wake_write])
            elif key.data == "reap":
                _drain(wake_read)
                _reap(selector, stand_ins)
            else:                      # a stand-in's socket closed: it was killed, and so is its worker
                _kill(key.data)
                selector.unregister(key.fileobj)
                key.fileobj.close()
                stand_ins.pop(key.data, None)
    for pid in stand_ins:              # stopped: the workers left are killed and reaped
        _kill(pid)
    _reap(selector, stand_ins, block=True)
    os._exit(0)


def _accept(listener, selector, stand_ins, pipe):
    conn, _ = listener.accept()
    pid_uid_gid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))
    request = _request(conn) if pid_uid_gid[1] == os.getuid() else None
    if request is None:
        conn.close()
        return
    code, fds = request
    worker = os.fork()
    if worker == 0:
        _run_worker(code, fds, [conn, listener, selector] + list(stand_ins.values()), pipe)
    for fd in fds:
        os.close(fd)
    try:
        conn.send(INT.pack(worker))
    except OSError:
        _kill(worker)
    stand_ins[worker] = conn
    selector.register(conn, selectors.EVENT_READ, worker)


def _request(conn):
    """(code, [stdin, stdout, stderr]) from a stand-in, or None when its message is not one."""
    fds = array.array("i")
    try:
        data, ancillary, flags, _ = conn.recvmsg(REQUEST_MAX, socket.CMSG_SPACE(3 * fds.itemsize))
    except OSError:
        return None
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(payload[:len(payload) - len(payload) % fds.itemsize])
    if len(fds) != 3 or flags & (socket.MSG_TRUNC | socket.MSG_CTRUNC):
        for fd in fds:
            os.close(fd)
        return None
    return data.decode("utf-8", "replace"), list(fds)


def _reap(selector, stand_ins, block=False):
    """Tell each ended worker's stand-in its wait status; BLOCK: until every worker is reaped."""
    while True:
        try:
            pid, status = os.waitpid(-1, 0 if block else os.WNOHANG)
        except ChildProcessError:
            return
        if not pid:
            return
        conn = stand_ins.pop(pid, None)
        if conn is not None:
            try:
                conn.send(INT.pack(status))
            except OSError:
                pass
            selector.unregister(conn)
            conn.close()


def _kill(pid):
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _drain(fd):
    try:
        while os.read(fd, 512):
            pass
    except BlockingIOError:
        pass


def _close_all_but(keep):
    """Close every descriptor from 3 up but KEEP: the controller's (its run locks) are not the server's."""
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd > 2 and fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass


def _run_worker(code, fds, server_sockets, pipe):
    """In the forked worker: the stand-in's descriptors as 0, 1 and 2, the server's closed, then CODE as
    `python -c CODE` runs it; never returns."""
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for sock in server_sockets:
        sock.close()
    for fd in pipe:
        os.close(fd)
    _flush(sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__)   # nothing of the controller's reaches the pipes
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    _new_stdio()
    main = types.ModuleType("__main__")
    sys.modules["__main__"] = main
    sys.argv = ["-c"]
    os._exit(_exec_main(code, main.__dict__))


def _exec_main(code, namespace):
    """CODE run in NAMESPACE; its exit status as the interpreter would give it."""
    status = 0
    try:
        exec(compile(code, "<string>", "exec"), namespace)
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            status = exc.code or 0
        else:
            print(exc.code, file=sys.stderr)
            status = 1
    except BaseException:              # noqa: B902 (as the interpreter does: the traceback, status 1)
        traceback.print_exc()
        status = 1
    _flush(sys.stdout, sys.stderr)
    return status


def _flush(*streams):
    for stream in streams:
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass


def _new_stdio():
    """sys's standard streams anew on descriptors 0, 1 and 2, as `python -u` makes them (the controller's
    are pytest's captures by now): output unbuffered, errors of stderr backslash-escaped."""
    encoding = sys.__stdout__.encoding if sys.__stdout__ else "utf-8"
    sys.stdin = sys.__stdin__ = io.TextIOWrapper(io.open(0, "rb", closefd=False), encoding=encoding)
    sys.stdout = sys.__stdout__ = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding=encoding,
                                                   write_through=True)
    sys.stderr = sys.__stderr__ = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding=encoding,
                                                   errors="backslashreplace", write_through=True)
