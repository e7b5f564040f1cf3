"""The change history of registry records: who changed what, when, why, with the values before and after."""
