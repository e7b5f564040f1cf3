"""A child protection app on the test database, trusting tokens from the session's minter."""

from datetime import datetime

import pytest

from common import clock
from common.clock import VIETNAM_TZ
from common.crypto import new_key
from common.testing import app_client
from services.child_protection.app import create_app
from services.child_protection.settings import ChildProtectionSettings

KEYS = f"k1:{new_key()},k2:{new_key()}"
WORKER = ("child_protection:case",)
COMMUNE = "29263"  # Phường Long Đức (2025, province 86), from Phường 4 and Xã Long Đức of old district 842
OTHER_COMMUNE = "29266"  # Xã Càng Long (2025), from communes of old district 844 (Càng Long)
OLD_COMMUNE = "29236"  # Phường 4, Thành phố Trà Vinh (district 842): abolished on 2025-07-01, became 29263


@pytest.fixture
def settings(test_db):
    return ChildProtectionSettings(
        database_url=test_db.urls["child_protection"],
        encryption_keys=KEYS,
        encryption_active_key="k1",
        deadline_alerts_daily=False,
    )


@pytest.fixture
def app(settings):
    return create_app(settings)


@pytest.fixture
async def http(app, minter):
    """Every request of the test shares one transaction, rolled back at the end."""
    async with app_client(app, keys=minter) as c:
        yield c


@pytest.fixture
def now():
    """Wednesday 2 December 2026, 09:00 in Viet Nam."""
    at = datetime(2026, 12, 2, 9, 0, tzinfo=VIETNAM_TZ)
    with clock.frozen(at):
        yield at


def worker(minter, client_id="officer-a", areas=("842",), purpose="case work"):
    return {**minter.headers(*WORKER, client_id=client_id, areas=areas), "X-Purpose": purpose}


def supervisor(minter, client_id="supervisor", areas=(), purpose="supervision"):
    return {**minter.headers("child_protection:read", client_id=client_id, areas=areas), "X-Purpose": purpose}


def new_case(**over):
    body = {
        "source": "hotline_111",
        "report": "Neighbours heard a child beaten at night",
        "perpetrator": "the stepfather",
        "reporter": "neighbour, 0912 345 678",
        "child": {
            "full_name": "Nguyễn Văn An",
            "commune_code": COMMUNE,
            "date_of_birth": "2018-05-04",
            "whereabouts": "at the grandmother's house, hamlet 3",
        },
    }
    body.update(over)
    return body
