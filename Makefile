# sockconf - reference socket programs of "Module 41: Network Programming
# Socket Part III" and a conformance suite that runs them in network
# namespaces.  The README explains every target.

CC       ?= gcc
WERROR   ?= -Werror
CFLAGS   ?= -std=c11 -O2 -g -Wall -Wextra $(WERROR)
SANFLAGS := -std=c11 -O1 -g -Wall -Wextra $(WERROR) -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
PYTHON   := /usr/bin/python3
# The harness is the package harness/sockconf: python3 -m sockconf with harness/ on the path.
SOCKCONF := PYTHONPATH=$(CURDIR)/harness $(PYTHON) -m sockconf

PROGRAMS := select tcpserver tcpclient udpserver udpclient iserver comclient mcastserver mcastclient \
            spawnserver spawnworker sendmsgserver recvmsgworker acceptserver acceptworker
BENCHTOOLS := loadgen ceiling
LIB      := src/sockutil.c src/sockutil.h src/design.c src/design.h

BIN      := build/bin
SANBIN   := build/sanitize/bin

.PHONY: all doctor sanitize unit conformance check check-suites clean deps deps-run deps-grade deps-bench deps-check cases bench mutants selftest lab soak grade grade-merge interop explore
.DEFAULT_GOAL := all

LAUNCHER := build/launch/sockconf-launch
FORKWORKER := build/launch/sockconf-forkworker
FORWARDER := build/launch/sockconf-mforward
TOPO     := build/launch/sockconf-topo
TOPO_SRC := src/topo/topo.c src/topo/rtmsg.c src/topo/rtmsg.h src/topo/talk.c src/topo/talk.h src/topo/links.c src/topo/links.h
FRAME    := src/forward/frame.c src/forward/frame.h
PYC      := build/harness-bytecode.stamp

all: $(addprefix $(BIN)/,$(PROGRAMS)) $(addprefix build/bench/bin/,$(BENCHTOOLS)) $(LAUNCHER) $(FORKWORKER) $(FORWARDER) $(TOPO) $(PYC)

# The harness's bytecode, written once: every process the harness starts (a run's workers, sub-runs) would
# otherwise compile what it imports anew where PYTHONDONTWRITEBYTECODE is set (about 60 ms of CPU each).
$(PYC): $(shell find harness/sockconf -name '*.py')
	@mkdir -p build
	$(PYTHON) -m compileall -q harness/sockconf
	@touch $@

# The harness's one launcher of programs under test (harness/sockconf/hosts/sandbox.py).  Linked statically:
# it runs at every program start, and loading and relocating libc was a fifth of its CPU.
$(LAUNCHER): src/launch/launch.c | build/launch
	$(CC) $(CFLAGS) -static -o $@ $<

# What a run's pytest-xdist workers are started with: a fork of the warm harness (harness/sockconf/hosts/forkserver.py).
$(FORKWORKER): src/launch/forkworker.c | build/launch
	$(CC) $(CFLAGS) -o $@ $<

# The multicast forwarder of a routed topology where the kernel has no multicast routing
# (harness/sockconf/hosts/topology.py).
$(FORWARDER): src/forward/mforward.c $(FRAME) | build/launch
	$(CC) $(CFLAGS) -o $@ $< src/forward/frame.c

# The topology builder: namespaces, links, addresses and routes over rtnetlink in one exec
# (harness/sockconf/hosts/topology.py).
$(TOPO): $(TOPO_SRC) | build/launch
	$(CC) $(CFLAGS) -o $@ $(filter %.c,$(TOPO_SRC)) -lmnl

sanitize: $(addprefix $(SANBIN)/,$(PROGRAMS))

$(BIN)/%: src/%.c $(LIB) | $(BIN)
	$(CC) $(CFLAGS) -o $@ $< src/sockutil.c src/design.c

$(SANBIN)/%: src/%.c $(LIB) | $(SANBIN)
	$(CC) $(SANFLAGS) -o $@ $< src/sockutil.c src/design.c

# The benchmark's load generator and its epoll ceiling server (not tutorial programs).
build/bench/bin/%: src/bench/%.c | build/bench/bin
	$(CC) $(CFLAGS) -pthread -o $@ $<

$(BIN) $(SANBIN) build/unit build/bench/bin build/launch:
	mkdir -p $@

build/unit/test_sockutil: tests/unit/test_sockutil.c tests/unit/unit.h $(LIB) | build/unit
	$(CC) $(CFLAGS) -Isrc -o $@ $< src/sockutil.c -lcunit

build/unit/test_frame: tests/unit/test_frame.c tests/unit/unit.h $(FRAME) | build/unit
	$(CC) $(CFLAGS) -Isrc/forward -o $@ $< src/forward/frame.c -lcunit

build/unit/test_rtmsg: tests/unit/test_rtmsg.c tests/unit/unit.h src/topo/rtmsg.c src/topo/rtmsg.h src/topo/talk.c src/topo/talk.h | build/unit
	$(CC) $(CFLAGS) -Isrc/topo -o $@ $< src/topo/rtmsg.c src/topo/talk.c -lmnl -lcunit

unit: build/unit/test_sockutil build/unit/test_frame build/unit/test_rtmsg
	# in a namespace of its own, so a failed lookup can never reach a resolver
	unshare --net ./build/unit/test_sockutil
	./build/unit/test_frame
	./build/unit/test_rtmsg

# Installs what is missing (apt-get, idempotent; NODEPS=1 skips it), builds, runs the suite.
conformance: $(if $(NODEPS),,deps-run) all
	$(SOCKCONF) run $(if $(IMPL),--impl $(IMPL)) $(if $(REF),--ref $(REF)) $(if $(CASE),--case '$(CASE)') $(if $(STRICT),--strict) \
	  $(if $(CASES),--cases '$(CASES)') $(if $(LF),--last-failed) $(if $(PCAP),--pcap) \
	  $(if $(LIMITS),--limits '$(LIMITS)') $(if $(PROGRAM_PATH),--path '$(PROGRAM_PATH)') \
	  $(if $(PYTEST_ARGS),-- $(PYTEST_ARGS))
	$(if $(EXPLORE),$(MAKE) --no-print-directory explore NODEPS=1)

# Generated scenarios run on the reference and on IMPL, compared: EXPLORE=N scenarios per program,
# SEED=S, PROGRAM="tcpserver ..."; each difference is written as a case under build/explore/findings, shrunk
# SHRINK=S seconds at most (default 60; 0: no bound).
explore: $(if $(NODEPS),,deps-run) all
	$(SOCKCONF) explore $(if $(IMPL),--impl $(IMPL)) $(if $(EXPLORE),--examples $(EXPLORE)) $(if $(SEED),--seed $(SEED)) \
	  $(if $(PROGRAM),--programs '$(PROGRAM)') $(if $(LIMITS),--limits '$(LIMITS)') $(if $(CHECKS),--checks '$(CHECKS)') \
	  $(if $(SHRINK),--shrink $(SHRINK))

# What each target installs (ci/install-deps.sh): run for conformance and explore, grade, bench, and
# everything for check; `make deps` installs everything.
deps:
	@sh ci/install-deps.sh check

deps-run deps-grade deps-bench deps-check:
	@sh ci/install-deps.sh $(patsubst deps-%,%,$@)

# What the suite needs from the kernel, probed on this machine, and what it does without each feature.
doctor: $(LAUNCHER) $(FORWARDER)
	@$(SOCKCONF) doctor

cases:
	@$(SOCKCONF) list $(if $(CASES),--cases '$(CASES)')

# Namespaces to run the programs by hand (TOPO=pair|lan|routed); Ctrl-C removes them.
lab: all
	@$(SOCKCONF) lab $(or $(TOPO),pair)

# The project's own tests: unit tests, the suite on the plain and on the
# sanitizer build and on a second implementation (tests/alt, Python), the
# harness's self-checks and the mutants.
# Its parts, in this order (make bench times each).
CHECK_PARTS := unit check-suites selftest mutants

check: $(if $(NODEPS),,deps-check) all sanitize $(CHECK_PARTS)

# The suite three times, as one class in one pool of workers (tests/check-suites.json): on the reference
# (label plain), on the sanitizer build (sanitize; strict, and no address-space limit: AddressSanitizer
# maps terabytes of shadow memory) and on tests/alt (alt; strict).  Each has its own reports under
# build/reports/LABEL.*; the run fails when any of them does.
check-suites: all sanitize
	$(SOCKCONF) run --class tests/check-suites.json --label check

# The harness's own promises: CASE=, IMPL=, unrunnable programs, signals.  Four tests at once (they mostly
# wait; the users of a grading fixture share a worker, so it is made once: tests/selftest/conftest.py; the
# host-state checks count only what ended runs left), then the checks timed against signals or watching a
# sweep (marker alone), one at a time.  Their tmp_path folders are in a folder of this run's own, removed at
# its end, also on Ctrl-C or SIGTERM (pytest's own clean-up left a folder per worker and run in
# /tmp/pytest-of-USER); outside the project, as a learner's own files are (a case file there is shown by its
# whole path).
selftest: all
	@tmp=$$(mktemp -d /tmp/sockconf-selftest.XXXXXX) && trap 'rm -rf "$$tmp"' EXIT && trap 'exit 130' INT && \
	  trap 'exit 143' TERM && set -x && \
	  PYTHONPATH=$(CURDIR)/harness $(PYTHON) -m pytest -q -p no:cacheprovider -n 4 --dist loadgroup -m 'not alone' \
	    --basetemp="$$tmp/parallel" tests/selftest && \
	  PYTHONPATH=$(CURDIR)/harness $(PYTHON) -m pytest -q -p no:cacheprovider -m alone --basetemp="$$tmp/alone" tests/selftest

# Every mutant in tests/mutants/mutants.list must be rejected by the suite.
mutants: all
	$(SOCKCONF) mutants

# The whole suite RUNS times (default 20) beside two CPU-bound processes; any verdict that changes is a flip.
soak: all
	$(SOCKCONF) soak $(if $(RUNS),--runs $(RUNS)) $(if $(IMPL),--impl $(IMPL))

# Every subfolder of SUBMISSIONS is an implementation, all in one pool of JOBS workers (cases at
# once); SHARD=i/N grades a share of them.
# Writes build/grade/: results.json, grades.csv, index.html, impl/NAME.html, gradescope/NAME.json
# (Gradescope's autograder results; WEIGHTS=FILE gives points per case).
grade: $(if $(NODEPS),,deps-grade) all
	$(SOCKCONF) grade run '$(SUBMISSIONS)' $(if $(JOBS),--jobs $(JOBS)) $(if $(SHARD),--shard $(SHARD)) \
	  $(if $(CASE),--case '$(CASE)') $(if $(OUT),--out '$(OUT)') $(if $(EXPLORE),--explore $(EXPLORE)) $(if $(SEED),--seed $(SEED)) \
	  $(if $(WEIGHTS),--weights '$(WEIGHTS)')

# Whose client works with whose server: the reference and every subfolder of SUBMISSIONS, each one's
# clients against each one's servers on the paired cases; build/interop/index.html, a matrix per pair.
interop: $(if $(NODEPS),,deps-grade) all
	$(SOCKCONF) interop run '$(SUBMISSIONS)' $(if $(JOBS),--jobs $(JOBS)) $(if $(CASE),--case '$(CASE)') \
	  $(if $(OUT),--out '$(OUT)')

# Combine the build/grade folders of several shares (SHARDS="DIR1 DIR2 ...") into build/grade/.
grade-merge:
	$(SOCKCONF) grade merge $(if $(OUT),--out '$(OUT)') $(if $(WEIGHTS),--weights '$(WEIGHTS)') $(SHARDS)

bench: $(if $(NODEPS),,deps-bench) all
	$(SOCKCONF) bench

clean:
	rm -rf build
