"""OAuth2 client credentials (RFC 6749 §4.4): clients, signing keys, tokens."""
