from common.migrations import run_env
from services.child_protection.models import SCHEMA, Base

run_env(SCHEMA, Base.metadata, env_prefix="CHILD_PROTECTION_")
