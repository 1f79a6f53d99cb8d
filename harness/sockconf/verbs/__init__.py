"""The verbs of the case language, a module per family; importing this
package registers every one of them in sockconf.language.registry."""
from sockconf.verbs import faults, observe, proc, programs, tcp, udp

__all__ = ["faults", "observe", "proc", "programs", "tcp", "udp"]
