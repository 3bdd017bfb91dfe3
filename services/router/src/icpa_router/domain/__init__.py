"""The Router's pure core: the routing policy, the routing rules, the final claim record."""
