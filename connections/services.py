"""Orchestration for organizations, API keys and collections."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from connections.exceptions import Conflict, FieldInvalid
from connections.models import (
    ApiKey,
    Collection,
    Membership,
    Organization,
    generate_readable_id,
)


def apikey_create(
    *, organization_slug: str, name: str = "", days: int = 90, created_by=None
) -> tuple[ApiKey, str]:
    """Issue a key for the organization with this slug, creating the organization if needed."""
    organization, _ = Organization.get_or_create_by_slug(organization_slug)
    return ApiKey.issue(organization=organization, name=name, days=days, created_by=created_by)


def _validation_to_field_invalid(error: ValidationError) -> FieldInvalid:
    return FieldInvalid({(field,): " ".join(msgs) for field, msgs in error.message_dict.items()})


def collection_create(
    *,
    organization: Organization,
    name: str,
    readable_id: str | None = None,
    sync_config: dict[str, Any] | None = None,
    created_by_email: str | None = None,
) -> Collection:
    collection = Collection(
        organization=organization,
        name=name,
        readable_id=readable_id or generate_readable_id(name),
        sync_config=sync_config,
        created_by_email=created_by_email,
        modified_by_email=created_by_email,
    )
    try:
        collection.full_clean(validate_unique=False)
    except ValidationError as error:
        raise _validation_to_field_invalid(error) from None
    try:
        # The unique index decides, so two concurrent creates cannot both win.
        with transaction.atomic():
            collection.save()
    except IntegrityError:
        raise Conflict(
            f"Collection with readable_id '{collection.readable_id}' already exists"
        ) from None
    return collection


def collection_update(
    *, collection: Collection, data: dict[str, Any], modified_by_email: str | None = None
) -> Collection:
    for field in ("name", "sync_config"):
        if field in data:
            setattr(collection, field, data[field])
    collection.modified_by_email = modified_by_email
    try:
        collection.full_clean(validate_unique=False)
    except ValidationError as error:
        raise _validation_to_field_invalid(error) from None
    collection.save()
    return collection


def collection_delete(*, collection: Collection) -> Collection:
    """Delete a collection and everything under it; returns the (unsaved) deleted collection."""
    snapshot = Collection.objects.get(pk=collection.pk)
    collection.delete()
    return snapshot


def member_add(
    *, organization_slug: str, email: str, password: str | None = None, role: str = "member"
) -> tuple[Membership, bool]:
    """Add a person (by email) to an organization, creating both as needed.

    Returns the membership and whether the user was created. An existing user's password is
    changed only when one is given.
    """
    from django.contrib.auth import get_user_model

    if role not in Membership.Role.values:
        raise FieldInvalid.single(
            ("role",), f"Must be one of: {', '.join(Membership.Role.values)}."
        )
    organization, _ = Organization.get_or_create_by_slug(organization_slug)
    user_model = get_user_model()
    email = user_model.objects.normalize_email(email).lower()
    user, created = user_model.objects.get_or_create(username=email, defaults={"email": email})
    if password:
        user.set_password(password)
        user.save(update_fields=["password"])
    elif created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    membership, _ = Membership.objects.update_or_create(
        organization=organization, user=user, defaults={"role": role}
    )
    return membership, created
