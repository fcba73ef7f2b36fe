"""connections.selectors.collection_for_org: the lookup every collection-scoped request makes."""

from __future__ import annotations

import pytest

from connections.selectors import collection_for_org

# One hand-written statement (organization ids are hex text on SQLite): run on every engine.
pytestmark = pytest.mark.dbspecific


def test_finds_the_organizations_collection(org_a):
    found = collection_for_org(organization=org_a.organization, readable_id="acme-docs")
    assert found == org_a.collection
    assert (found.name, found.organization_id) == (org_a.collection.name, org_a.organization.pk)


def test_another_organizations_collection_is_not_found(org_a, org_b):
    readable_id = org_b.collection.readable_id
    assert collection_for_org(organization=org_a.organization, readable_id=readable_id) is None


def test_unknown_readable_id_is_not_found(org_a):
    assert collection_for_org(organization=org_a.organization, readable_id="no-such") is None
