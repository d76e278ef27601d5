"""AMD GPUs (amdgpu): sysfs and hwmon, with amdsmi as fallback."""
