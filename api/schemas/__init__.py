"""Request and response shapes of the HTTP API: shape is checked here, rules in the domain."""
