"""Reference DSP emitter for the Communications Hub firmware activation alert (SECMP0024).

It reads a scenario in candidate protocol version 1 and returns what a conforming DSP would
deliver: one DUIS DCC Alert per Responsible Supplier per successful activation, plus its
inventory's view of each activated CHF. It depends on nothing in the conformance engine, so
the suite checks it exactly as it checks a vendor's build.
"""

from reference_impl.emitter import alert_lines, emit, inventory_lines

__all__ = ["alert_lines", "emit", "inventory_lines"]
