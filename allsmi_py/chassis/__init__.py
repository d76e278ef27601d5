"""The host's chassis: what DMI names it, its inlet/outlet air and its power (issue 19 item 4).

Sources, best first: the BMC through `ipmitool sdr` where there is one (a server's inlet and
exhaust sensors and its whole-system power), else the ACPI thermal zones as all-smi reads them
(the coolest `acpitz` zone as inlet, the hottest as outlet); the names come from
/sys/class/dmi/id. ipmitool can take seconds on a slow BMC, so it runs beside the ticks
(`ipmi.IpmiPoller`): a tick never waits for it.
"""

from __future__ import annotations

from allsmi_py.chassis.reader import ChassisReader

__all__ = ["ChassisReader"]
