"""The AnSinh command line: up, migrate, serve (and, as features land, clients, seed, report)."""
