"""Intel GPUs on the i915 and xe drivers: sysfs, hwmon and DRM fdinfo."""
