from common.migrations import run_env
from services.insurance.models import SCHEMA, Base

run_env(SCHEMA, Base.metadata, env_prefix="INSURANCE_")
