"""The Router's adapters: the bundled routing policy and decision metrics."""
