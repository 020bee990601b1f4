"""kerasgen layers."""
