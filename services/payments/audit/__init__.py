"""A check of the data recorded before the safety rules: areas, amounts and payment days (``ansinh payments audit``)."""
