"""Apple Silicon SoCs (macOS arm64): powermetrics, IOReport decoding."""
