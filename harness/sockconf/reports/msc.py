"""A case run's timeline drawn as a message sequence chart (SVG): one
column per program and scripted peer, every event a row with its time on
the vertical axis, bytes between a peer and the program it talks to as
arrows, the failing step marked where it failed.

It reads the structured events of result.json (run/actors.Event): a
message's other end is its `remote` address (or, for a datagram received,
its `local` one), never the wording of its text."""
import html

COLUMN = 230           # pixels between columns
ROW = 18               # pixels per event
LEFT = 70              # the time axis
TOP = 40
TEXT_CHARS = 34        # characters of an event's text shown (all of it in the tooltip)
STEP_CHARS = 70        # characters of a step's line shown
NOTES_WIDTH = 480      # pixels at the right for the harness's steps and notes
COLOURS = {"out": "#1b4f72", "stdin": "#7d3c98", "exit": "#b03a2e", "signal": "#b9770e", "start": "#1e8449"}
# Message kinds of a peer, and which way the arrow points: to the program, or from it.
MESSAGE_KINDS = {"send": "to", "sendto": "to", "connect": "to", "recv": "from", "recvfrom": "from",
                 "accept": "from"}


def columns(record):
    """Actor names, in order of appearance: programs and peers.  The
    harness's own events (steps, topology, nft, tcp states) are written at
    the right of the chart."""
    names = [a["name"] for a in record["actors"]]
    for event in record["events"]:
        if event["actor"] not in names and event["actor"] != "harness":
            names.append(event["actor"])
    return names


def program_on(record, address):
    """The first program on the host with ADDRESS ('A.B.C.D:PORT' or 'A.B.C.D'), if any."""
    if not address:
        return None
    host = next((h for h, a in record["hosts"].items() if a == address.split(":")[0]), None)
    return next((a["name"] for a in record["actors"] if a["kind"] == "program" and a["host"] == host), None)


def partner(record, event):
    """The program column a peer's message goes to or comes from, if known."""
    if event["kind"] not in MESSAGE_KINDS:
        return None
    return program_on(record, event.get("remote")) or program_on(record, event.get("local"))


def svg(record):
    cols = columns(record)
    x = {name: LEFT + COLUMN // 2 + i * COLUMN for i, name in enumerate(cols)}
    x["harness"] = LEFT + COLUMN * len(cols)          # where the harness's notes start
    events = record["events"]
    height = TOP + ROW * (len(events) + 1)
    out = ['<svg xmlns="http://www.w3.org/2000/svg" class="msc" width="%d" height="%d" font-family="monospace" '
           'font-size="11">' % (x["harness"] + NOTES_WIDTH, height),
           '<text x="%d" y="16" font-weight="bold">harness</text>' % x["harness"]]
    for name in cols:
        out.append('<text x="%d" y="16" text-anchor="middle" font-weight="bold">%s</text>' % (x[name], html.escape(name)))
        out.append('<line x1="%d" y1="24" x2="%d" y2="%d" stroke="#bbb"/>' % (x[name], x[name], height))
    for i, event in enumerate(events):
        y = TOP + ROW * i
        out.append('<text x="4" y="%d" fill="#666">%8.3f</text>' % (y + 4, event["t"]))
        out.extend(event_marks(record, x, y, event))
    out.append("</svg>")
    return "\n".join(out)


def step_marks(x, y, event, tip):
    """A step's line across the chart: grey where it began, red where it failed."""
    failing = event["kind"] == "failed"
    colour, weight = ("#c0392b", "bold") if failing else ("#999", "normal")
    line = (event.get("step") or "").rsplit(":", 1)[-1]
    shown = html.escape(("step %s: %s" % (line, event["text"]))[:STEP_CHARS])
    return ['<g class="%s" data-step="%s">%s<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-dasharray="3,3"/>' % (
            "failing-step" if failing else "step", html.escape(event.get("step") or ""), tip, 60, y, x["harness"], y,
            colour),
            '<text x="%d" y="%d" fill="%s" font-weight="%s">%s%s</text></g>' % (
            x["harness"] + 4, y + 4, colour, weight, "FAILED " if failing else "", shown)]


def event_marks(record, x, y, event):
    actor, kind, text = event["actor"], event["kind"], event["text"]
    col = x.get(actor, x["harness"])
    shown = html.escape(text if len(text) <= TEXT_CHARS else text[:TEXT_CHARS] + "...")
    tip = "<title>%s</title>" % html.escape("%s %s: %s" % (actor, kind, text))
    if kind in ("step", "failed"):
        return step_marks(x, y, event, tip)
    other = partner(record, event)
    if other and other in x:
        start, end = (col, x[other]) if MESSAGE_KINDS[kind] == "to" else (x[other], col)
        head = end - 6 if end > start else end + 6
        return ['<g class="message" data-from="%s" data-to="%s">%s<line x1="%d" y1="%d" x2="%d" y2="%d" '
                'stroke="#2471a3"/>' % tuple([html.escape(n) for n in ((actor, other) if start == col else (other, actor))]
                                             + [tip, start, y, end, y]),
                '<polygon points="%d,%d %d,%d %d,%d" fill="#2471a3"/>' % (end, y, head, y - 3, head, y + 3),
                '<text x="%d" y="%d" fill="#2471a3">%s %s</text></g>' % (min(start, end) + 8, y - 3, kind, shown)]
    colour = COLOURS.get(kind, "#333")
    label = shown if kind in ("exit", "signal") else "%s %s" % (html.escape(kind), shown)
    if actor == "harness":
        return ['<g class="note">%s<text x="%d" y="%d" fill="#555">%s</text></g>' % (tip, col + 4, y + 4, label)]
    return ['<g class="event %s">%s<circle cx="%d" cy="%d" r="3" fill="%s"/>' % (html.escape(kind), tip, col, y, colour),
            '<text x="%d" y="%d" fill="%s">%s</text></g>' % (col + 6, y + 4, colour, label)]
