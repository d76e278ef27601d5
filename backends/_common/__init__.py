"""Helpers the vendor backends share: sysfs readers and tool runners."""
