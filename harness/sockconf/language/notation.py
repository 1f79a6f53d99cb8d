"""The one visible notation for bytes, in cases and in reports.

Steps write bytes as quoted strings with C escapes and an optional repeat,
concatenated: "GET / HTTP/1.0\\r\\n" "\\0"*59.  Reports and timelines print
bytes the same way (quote), so what a report shows can be pasted into a
step as it stands.  Transcripts are text: there %SP (a trailing space),
%TAB, %CR, %NUL, %xHH (any other control byte), %repeat[N x TEXT]% and %%
stand for what cannot be seen (mark_line prints a transcript line so).
"""
import re

ESCAPES = {"n": b"\n", "r": b"\r", "t": b"\t", "0": b"\0", "\\": b"\\", '"': b'"'}
QUOTED = {value[0]: "\\" + key for key, value in ESCAPES.items()}
RUN_MIN = 8                # a byte repeated this often is written "B"*N
TRANSCRIPT_ESCAPES = {"%SP": " ", "%TAB": "\t", "%CR": "\r", "%NUL": "\0"}
REPEAT_RE = re.compile(r"%repeat\[(\d+) x (.*?)\]%")
# In a transcript: an ephemeral port the harness cannot know, and the open rest of a line the listing
# leaves undefined (an errno text no call set): any characters up to the end of that line, not across it.
PORT_PART = "%{PORT}"
OPEN_PART = "%{any}"
HEX_RE = re.compile(r"%x([0-9A-Fa-f]{2})")


class NotationError(ValueError):
    pass


def decode_bytes(raw):
    """The bytes of a quoted string's text RAW (escapes still in)."""
    out = bytearray()
    i = 0
    while i < len(raw):
        c = raw[i]
        if c != "\\":
            out += c.encode()
            i += 1
            continue
        nxt = raw[i + 1:i + 2]
        if nxt == "x":
            digits = raw[i + 2:i + 4]
            if not re.match(r"^[0-9A-Fa-f]{2}$", digits):
                raise NotationError("\\x needs two hex digits, got %r" % digits)
            out.append(int(digits, 16))
            i += 4
        elif nxt in ESCAPES:
            out += ESCAPES[nxt]
            i += 2
        else:
            raise NotationError("unknown escape \\%s (known: \\n \\r \\t \\0 \\\\ \\\" \\xHH)" % nxt)
    return bytes(out)


def _escaped(byte):
    if byte in QUOTED:
        return QUOTED[byte]
    if byte == ord("%"):
        return "\\x25"          # as written, %{...} in a step would name a host or a peer
    if 32 <= byte < 127:
        return chr(byte)
    return "\\x%02x" % byte


def quote(data, limit=None):
    """DATA as step notation: quoted strings, runs of RUN_MIN or more equal
    bytes as "B"*N.  With LIMIT, at most about LIMIT characters, then how
    many bytes were left out (outside the quotes)."""
    parts, text, i = [], "", 0
    while i < len(data):
        run = len(data[i:]) - len(data[i:].lstrip(data[i:i + 1]))
        if run >= RUN_MIN:
            if text:
                parts.append('"%s"' % text)
                text = ""
            parts.append('"%s"*%d' % (_escaped(data[i]), run))
            i += run
            continue
        text += _escaped(data[i])
        i += 1
        if limit and len(text) >= limit:
            break
    if text:
        parts.append('"%s"' % text)
    out = " ".join(parts) or '""'
    if i < len(data):
        out += " ... (%d more bytes, %d in all)" % (len(data) - i, len(data))
    return out


def _repeat(match):
    """%repeat[N x TEXT]%: TEXT N times; inside it \\n is a newline and %I the 1-based count."""
    body = match.group(2).replace("\\n", "\n")
    return "".join(body.replace("%I", str(i)) for i in range(1, int(match.group(1)) + 1))


def decode_transcript(text):
    """An expected transcript as the program prints it (see the module's doc)."""
    text = REPEAT_RE.sub(_repeat, text)
    out, i = [], 0
    while i < len(text):
        if text[i] != "%":
            out.append(text[i])
            i += 1
            continue
        if text.startswith("%%", i):
            out.append("%")
            i += 2
            continue
        hexbyte = HEX_RE.match(text, i)
        if hexbyte:
            out.append(chr(int(hexbyte.group(1), 16)))
            i += 4
            continue
        for key, value in TRANSCRIPT_ESCAPES.items():
            if text.startswith(key, i):
                out.append(value)
                i += len(key)
                break
        else:
            out.append("%")
            i += 1
    return "".join(out)


def open_line(prefix):
    """A transcript line that begins with PREFIX and whose rest is open (OPEN_PART), as a case file writes it.
    PREFIX is marked as a line that goes on (a stand-in character after it, then dropped), so its trailing
    blanks stay blanks rather than the %SP of a line's end."""
    return mark_line(prefix + ".")[:-1] + OPEN_PART


def mark_line(line):
    """A transcript line as a case file writes it, so it can be pasted back."""
    body = line.rstrip(" ")
    out = []
    for c in body.replace("%", "%%"):
        if c in "\t\r\0":
            out.append({"\t": "%TAB", "\r": "%CR", "\0": "%NUL"}[c])
        elif ord(c) < 32 or ord(c) == 127:
            out.append("%%x%02X" % ord(c))
        else:
            out.append(c)
    return "".join(out) + "%SP" * (len(line) - len(body))
