"""Age-driven level changes: the daily job that publishes registry.beneficiary.level_changed.v1."""
