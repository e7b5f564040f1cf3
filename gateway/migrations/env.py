from common.migrations import run_env
from gateway.models import SCHEMA, Base

run_env(SCHEMA, Base.metadata, env_prefix="GATEWAY_")
