"""TFP priors and likelihoods (being written)."""
