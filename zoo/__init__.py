"""Data package holding the zoo entries (config.json, metadata.json, weights)."""
