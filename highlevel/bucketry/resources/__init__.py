"""Resource proxies: thin objects over the generated models, with methods that act on them."""
