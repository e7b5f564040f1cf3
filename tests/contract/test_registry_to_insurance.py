"""The registry's real event payloads, decoded by the insurance service's own copy of the contract."""

import uuid
from datetime import date

import pytest

from services.insurance import consumers
from services.insurance.projection import schemas as insurance
from services.registry import events as registry

AREAS = {"commune_code": "29242", "district_code": "", "province_code": "86"}
P, B, H = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

PAYLOADS = {
    registry.PERSON_REGISTERED: (
        registry.PersonRegistered(person_id=P, date_of_birth=date(2026, 1, 2), sex="female", **AREAS),
        insurance.PersonRegisteredIn,
    ),
    registry.PERSON_UPDATED: (
        registry.PersonUpdated(
            person_id=P, version=2, changed=["date_of_birth"], date_of_birth=date(2026, 1, 3), sex="female", **AREAS
        ),
        insurance.PersonUpdatedIn,
    ),
    registry.PERSON_DIED: (
        registry.PersonDied(
            person_id=P, death_date=date(2026, 5, 1), effective_month="2026-06", date_of_birth=date(1950, 1, 1), **AREAS
        ),
        insurance.PersonDiedIn,
    ),
    registry.BENEFICIARY_APPROVED: (
        registry.BeneficiaryApproved(
            beneficiary_id=B,
            person_id=P,
            categories=["5.8"],
            effective_month="2026-03",
            decision_number="1",
            date_of_birth=date(1950, 1, 1),
            **AREAS,
        ),
        insurance.BeneficiaryStepIn,
    ),
    registry.BENEFICIARY_SUSPENDED: (
        registry.BeneficiarySuspended(beneficiary_id=B, person_id=P, effective_month="2026-04", reason="x", **AREAS),
        insurance.BeneficiaryStepIn,
    ),
    registry.BENEFICIARY_REINSTATED: (
        registry.BeneficiaryReinstated(beneficiary_id=B, person_id=P, effective_month="2026-05", **AREAS),
        insurance.BeneficiaryStepIn,
    ),
    registry.BENEFICIARY_TERMINATED: (
        registry.BeneficiaryTerminated(
            beneficiary_id=B,
            person_id=P,
            effective_month="2026-06",
            reason="death",
            death_date=date(2026, 5, 1),
            **AREAS,
        ),
        insurance.BeneficiaryStepIn,
    ),
    registry.BENEFICIARY_CHANGED: (
        registry.BeneficiaryChanged(
            beneficiary_id=B,
            person_id=P,
            effective_month="2026-07",
            categories=["5.6"],
            previous_categories=["5.5a"],
            decision_number=None,
            date_of_birth=date(1950, 1, 1),
            **AREAS,
        ),
        insurance.BeneficiaryStepIn,
    ),
    registry.HOUSEHOLD_POVERTY_STATUS_CHANGED: (
        registry.HouseholdPovertyStatusChanged(
            household_id=H, status="poor", valid_from=date(2026, 1, 1), document="QĐ", **AREAS
        ),
        insurance.PovertyStatusIn,
    ),
    registry.HOUSEHOLD_MEMBER_JOINED: (
        registry.HouseholdMemberJoined(household_id=H, person_id=P, joined_on=date(2026, 1, 1), **AREAS),
        insurance.MemberJoinedIn,
    ),
    registry.HOUSEHOLD_MEMBER_LEFT: (
        registry.HouseholdMemberLeft(household_id=H, person_id=P, left_on=date(2026, 2, 1), **AREAS),
        insurance.MemberLeftIn,
    ),
    registry.PERSON_MERGED: (
        registry.PersonMerged(person_id=P, survivor_id=uuid.uuid4(), beneficiary_id=B, **AREAS),
        insurance.PersonMergedIn,
    ),
}


def test_every_consumed_type_is_published_by_the_registry():
    assert set(consumers.CONSUMED) <= set(registry.EVENTS.catalogue.types)
    assert set(consumers.CONSUMED) == set(PAYLOADS)


@pytest.mark.parametrize("type_", sorted(PAYLOADS))
def test_insurance_decodes_the_registrys_payload(type_):
    published, decoder = PAYLOADS[type_]
    assert type(published) is registry.EVENTS.catalogue.types[type_]
    data = published.model_dump(mode="json")
    decoded = decoder.model_validate(data)
    for field, value in decoded.model_dump(mode="json").items():
        assert data.get(field) == value, field


def test_insurance_never_reads_health_data_or_national_ids():
    for _, decoder in PAYLOADS.values():
        assert not {"categories", "previous_categories", "national_id", "hiv_status", "full_name"} & set(
            decoder.model_fields
        )
    for type_ in consumers.CONSUMED:
        fields = set(registry.EVENTS.catalogue.types[type_].model_fields)
        assert not {"national_id", "hiv_status", "full_name"} & fields, type_
