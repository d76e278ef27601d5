"""`allsmi api` as a system service: one description, rendered for systemd or launchd.

spec.py describes the service (command line, secrets, restart policy, limits, device
access); systemd.py and launchd.py render that one description; paths.py says where each
manager keeps it; manage.py installs, removes and reports it through an injectable runner
of systemctl/launchctl; health.py asks the running exporter's /healthz.
"""
