"""The booth part of ``/api/openapi.json``: paths and response shapes."""

from __future__ import annotations

from typing import Any

from booths.schemas import (
    BoothCreate,
    BoothUpdate,
    CopyRequest,
    MediaUpdate,
    Ordering,
    ProductCreate,
    ProductUpdate,
    Rejection,
)
from fair.openapi import json_body, model_schemas, operation, path_params, query_params, ref

TEXT = {"type": "object", "additionalProperties": {"type": "string"}}
STRINGS = {"type": "array", "items": {"type": "string"}}
NULLABLE_STRING = {"type": ["string", "null"]}
NULLABLE_INT = {"type": ["integer", "null"]}

BOOTH = {
    "type": "object",
    "required": ["id", "status", "company", "categories", "markets", "languages"],
    "properties": {
        "id": {"type": "string"},
        "fair": NULLABLE_STRING,
        "status": {"type": "string", "enum": ["pending", "approved", "rejected"]},
        "company": TEXT,
        "title": TEXT,
        "tagline": TEXT,
        "description": TEXT,
        "categories": STRINGS,
        "markets": STRINGS,
        "languages": STRINGS,
        "certifications": STRINGS,
        "website": {"type": "string"},
        "city": {"type": "string"},
        "copied_from": NULLABLE_STRING,
        "review_note": {"type": "string"},
        "reviewed_at": NULLABLE_STRING,
    },
}
PRODUCT = {
    "type": "object",
    "required": ["id", "booth_id", "name", "currency"],
    "properties": {
        "id": {"type": "string"},
        "booth_id": {"type": "string"},
        "name": TEXT,
        "description": TEXT,
        "hs_code": {"type": "string"},
        "moq": NULLABLE_INT,
        "moq_unit": {"type": "string"},
        "price_min": {**NULLABLE_STRING, "description": "decimal, two places"},
        "price_max": {**NULLABLE_STRING, "description": "decimal, two places"},
        "currency": {"type": "string"},
        "lead_time_days": NULLABLE_INT,
        "position": {"type": "integer"},
    },
}
MEDIA = {
    "type": "object",
    "required": ["id", "booth_id", "kind", "content_type", "url", "status"],
    "properties": {
        "id": {"type": "string"},
        "booth_id": {"type": "string"},
        "product_id": NULLABLE_STRING,
        "kind": {"type": "string", "enum": ["image", "video", "pdf"]},
        "content_type": {"type": "string"},
        "size": {"type": "integer"},
        "sha256": {"type": "string"},
        "filename": {"type": "string"},
        "title": TEXT,
        "width": NULLABLE_INT,
        "height": NULLABLE_INT,
        "status": {"type": "string", "enum": ["processing", "ready", "failed"]},
        "position": {"type": "integer"},
        "url": {"type": "string"},
        "thumb_url": {"type": "string"},
        "large_url": {"type": "string"},
    },
}


def _list_of(key: str, schema: str) -> dict[str, Any]:
    return {"type": "object", "properties": {key: {"type": "array", "items": ref(schema)}}}


def booth_schemas() -> dict[str, Any]:
    schemas: dict[str, Any] = {"Booth": BOOTH, "Product": PRODUCT, "Media": MEDIA}
    schemas.update(
        model_schemas(
            BoothCreate,
            BoothUpdate,
            Rejection,
            CopyRequest,
            ProductCreate,
            ProductUpdate,
            Ordering,
            MediaUpdate,
        )
    )
    schemas["BoothDetail"] = {
        "allOf": [
            ref("Booth"),
            {
                "type": "object",
                "properties": {
                    "products": {"type": "array", "items": ref("Product")},
                    "media": {"type": "array", "items": ref("Media")},
                },
            },
        ]
    }
    schemas["Directory"] = {
        "type": "object",
        "required": ["total", "page", "pages", "booths"],
        "properties": {
            "fair": {"type": "string"},
            "total": {"type": "integer"},
            "page": {"type": "integer"},
            "pages": {"type": "integer"},
            "booths": {"type": "array", "items": ref("Booth")},
            "facets": {"type": "object"},
        },
    }
    return schemas


def booth_paths() -> dict[str, Any]:
    booth, product, media = (
        path_params("booth_id"),
        path_params("booth_id", "product_id"),
        path_params("media_id"),
    )
    write = (400, 401, 403, 404, 413, 415, 422)
    upload = operation(
        "Upload a file (multipart field `file`; header X-CSRF-Token)",
        (201, ref("Media")),
        errors=(*write, 429),  # 429: the per-account upload rate limit
        params=booth,
    )
    # The same file again (by its SHA-256) is not stored twice: 200 and the one already there.
    upload["responses"]["200"] = {"description": "already uploaded", **json_body(ref("Media"))}
    return {
        "/api/fairs/{slug}/booths": {
            "get": operation(
                "Approved booths of a fair: search, filters, pages",
                (200, ref("Directory")),
                errors=(404, 422),
                params=path_params("slug")
                + query_params("q", "category", "market", "language", "sort", "page", "per_page"),
            ),
            "post": operation(
                "Open your company's booth (exhibitor)",
                (201, ref("Booth")),
                body=BoothCreate,
                errors=(*write, 409),
                params=path_params("slug"),
            ),
        },
        "/api/me/booths": {
            "get": operation("My booths", (200, _list_of("booths", "Booth")), errors=(401,))
        },
        "/api/review/booths": {
            "get": operation(
                "Booths by review status (organizer)",
                (200, _list_of("booths", "Booth")),
                errors=(401, 403, 422),
                params=query_params("status", "fair"),
            )
        },
        "/api/booths/{booth_id}": {
            "get": operation(
                "A booth with products and media",
                (200, ref("BoothDetail")),
                errors=(404,),
                params=booth,
            ),
            "patch": operation(
                "Change booth texts (its exhibitor)",
                (200, ref("Booth")),
                body=BoothUpdate,
                errors=write,
                params=booth,
            ),
        },
        "/api/booths/{booth_id}/approve": {
            "post": operation(
                "Approve (organizer)", (200, ref("Booth")), errors=(401, 403, 404), params=booth
            )
        },
        "/api/booths/{booth_id}/reject": {
            "post": operation(
                "Ask for changes (organizer)",
                (200, ref("Booth")),
                body=Rejection,
                errors=write,
                params=booth,
            )
        },
        "/api/booths/{booth_id}/copy": {
            "post": operation(
                "Copy an approved booth into another fair (its exhibitor)",
                (201, ref("Booth")),
                body=CopyRequest,
                errors=(*write, 409),
                params=booth,
            )
        },
        "/api/booths/{booth_id}/analytics": {
            "get": operation(
                "Visits, product views, downloads, visitors",
                (200, {"type": "object"}),
                errors=(401, 403, 404),
                params=booth,
            )
        },
        "/api/booths/{booth_id}/products": {
            "get": operation(
                "Products", (200, _list_of("products", "Product")), errors=(404,), params=booth
            ),
            "post": operation(
                "Add a product",
                (201, ref("Product")),
                body=ProductCreate,
                errors=write,
                params=booth,
            ),
        },
        "/api/booths/{booth_id}/products/order": {
            "put": operation(
                "Reorder products",
                (200, _list_of("products", "Product")),
                body=Ordering,
                errors=write,
                params=booth,
            )
        },
        "/api/booths/{booth_id}/products/{product_id}": {
            "patch": operation(
                "Change a product",
                (200, ref("Product")),
                body=ProductUpdate,
                errors=write,
                params=product,
            ),
            "delete": operation(
                "Remove a product", (204, None), errors=(401, 403, 404), params=product
            ),
        },
        "/api/booths/{booth_id}/media": {
            "get": operation(
                "Media", (200, _list_of("media", "Media")), errors=(404,), params=booth
            ),
            "post": {
                **upload,
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "required": ["file"],
                                "properties": {
                                    "file": {"type": "string", "format": "binary"},
                                    "product_id": {"type": "string"},
                                },
                            }
                        }
                    },
                },
            },
        },
        "/api/booths/{booth_id}/media/order": {
            "put": operation(
                "Reorder media",
                (200, _list_of("media", "Media")),
                body=Ordering,
                errors=write,
                params=booth,
            )
        },
        "/api/media/{media_id}": {
            "patch": operation(
                "Caption or product of a file",
                (200, ref("Media")),
                body=MediaUpdate,
                errors=write,
                params=media,
            ),
            "delete": operation("Delete a file", (204, None), errors=(401, 403, 404), params=media),
        },
    }
