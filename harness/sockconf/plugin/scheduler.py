"""The scheduler of the suite's pytest-xdist workers (pytest_xdist_make_scheduler,
xdist's public hook): runs are dealt one at a time in collection order (the
plugin's `dealt` order) to whichever worker finishes one, so each worker holds
exactly one run beyond the one it is running (an xdist worker starts a test
only once it has the next).  xdist's own load schedulers keep up to three
queued, and a run queued behind one that waits out a 17 s timeout waits too,
while other workers sit idle.  A worker that dies gives back its queued runs;
the run it was running is reported as crashed, as xdist does."""


class PoolScheduling:
    """The methods and properties xdist's DSession calls on a scheduler."""

    def __init__(self, config, log=None):
        self.numnodes = int(config.getoption("numprocesses"))
        self.log = log
        self.queued = {}              # node -> indices sent to it and not yet complete
        self.collections = {}         # node -> the test ids it collected
        self.collection = None        # the ids every node collected (the same on all)
        self.pending = []             # indices not yet sent to any node

    @property
    def nodes(self):
        return list(self.queued)

    @property
    def collection_is_completed(self):
        return len(self.collections) >= self.numnodes

    @property
    def tests_finished(self):
        return self.collection_is_completed and not self.has_pending

    @property
    def has_pending(self):
        return bool(self.pending) or any(self.queued.values())

    def add_node(self, node):
        self.queued[node] = []

    def add_node_collection(self, node, collection):
        self.collections[node] = list(collection)

    def schedule(self):
        """Once every node has collected: deal one run to each node, then one more to each (the
        first runs, the slowest, go one to a node)."""
        if self.collection is None:
            first = next(iter(self.collections.values()))
            differ = [node for node, ids in self.collections.items() if ids != first]
            if differ:
                raise RuntimeError("sockconf scheduler: workers %s collected other tests than the first"
                                   % " ".join(str(node) for node in differ))
            self.collection = first
            self.pending = list(range(len(first)))
        self._fill()

    def _fill(self):
        """Deal runs round the nodes until each holds two (or none is left)."""
        for holding in (1, 2):
            for node in self.nodes:
                self._deal(node, holding - len(self.queued[node]))

    def mark_test_complete(self, node, item_index, duration=0):
        self.queued[node].remove(item_index)
        self._deal(node, 1)

    def mark_test_pending(self, item):
        self.pending.insert(0, self.collection.index(item))

    def remove_node(self, node):
        """A node went down: its queued runs go back to the front; the one it was running is returned
        (reported as crashed), or None."""
        queued = self.queued.pop(node)
        if not queued:
            return None
        self.pending[:0] = queued[1:]
        self._fill()
        return self.collection[queued[0]]

    def _deal(self, node, count):
        """Send COUNT more runs to NODE; once none is left, let it end after what it holds."""
        if node.shutting_down:
            return
        dealt, self.pending = self.pending[:max(0, count)], self.pending[max(0, count):]
        if dealt:
            self.queued[node] += dealt
            node.send_runtest_some(dealt)
        if not self.pending:
            node.shutdown()
