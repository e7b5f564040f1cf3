"""Applications, beneficiaries, their decisions and monthly entitlements (issue 5, items 5-6)."""
