"""Gateway overhead: the same load against the upstream directly and through the gateway, alternating."""
