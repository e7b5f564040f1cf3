"""Policy parameters as data: standard levels (mức chuẩn) and category coefficient rules, effective-dated."""
