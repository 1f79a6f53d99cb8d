"""How a command refuses: one line on standard error, naming the command,
and a defined exit status (2: bad input, unless the caller says another)."""
import sys

BAD_INPUT = 2


def die(message, status=BAD_INPUT, command="sockconf"):
    """End the command: COMMAND: MESSAGE on standard error, exit STATUS."""
    print("%s: %s" % (command, message), file=sys.stderr)
    sys.exit(status)
