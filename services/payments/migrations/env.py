from common.migrations import run_env
from services.payments.models import SCHEMA, Base

run_env(SCHEMA, Base.metadata, env_prefix="PAYMENTS_")
