"""Google Cloud TPU chips through the tpu-info CLI."""
