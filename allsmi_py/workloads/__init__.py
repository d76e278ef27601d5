"""Who holds each process and device: containers from cgroups, pods from the kubelet."""
