"""Remote mode: read many nodes' exporters into one ClusterSnapshot."""
