from common.migrations import run_env
from services.registry.models import SCHEMA, Base

run_env(SCHEMA, Base.metadata, env_prefix="REGISTRY_")
