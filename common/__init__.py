"""The shared kit of every service and the gateway: settings, database, errors, auth, events, testing helpers.

Never imports a service or the gateway (tests/test_architecture.py guards this)."""
