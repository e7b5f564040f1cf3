"""``ansinh seed``: a realistic province generated through the public API (issue 15)."""
