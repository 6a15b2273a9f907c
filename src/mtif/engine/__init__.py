"""Training: configuration, patch sampling, the loop, validation."""
