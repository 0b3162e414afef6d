"""Errors of the booths domain."""

from __future__ import annotations

from fair.errors import BadRequest, Conflict, DomainError, NotFound, TooManyRequests
from fair.i18n import lazy


class BoothNotFound(NotFound):
    code = "booth_not_found"
    message = lazy("There is no such booth.")


class ProductNotFound(NotFound):
    code = "product_not_found"
    message = lazy("There is no such product in this booth.")


class MediaNotFound(NotFound):
    code = "media_not_found"
    message = lazy("There is no such file in this booth.")


class BoothExists(Conflict):
    code = "booth_exists"
    message = lazy("Your company already has a booth in this fair.")


class FairClosed(Conflict):
    code = "fair_closed"
    message = lazy("This fair has ended; booths can no longer be added.")


class NotApproved(Conflict):
    code = "not_approved"
    message = lazy("Only an approved booth can be copied into another fair.")


class BadOrdering(BadRequest):
    code = "bad_ordering"
    message = lazy("Send every item of the booth exactly once, in the new order.")


class ImageTooLarge(DomainError):
    status = 413
    code = "image_too_large"
    message = lazy("The image has too many pixels: at most %(megapixels)d megapixels.")


class MetadataTooLarge(DomainError):
    status = 422
    code = "metadata_too_large"
    message = lazy(
        "The image carries too much metadata (EXIF, colour profile or text). "
        "Save it without and upload it again."
    )


class FileTooDemanding(DomainError):
    status = 422
    code = "file_too_demanding"
    message = lazy(
        "The file needs too much memory or time to check. Make it smaller and upload it again."
    )


class VideoTooLong(DomainError):
    status = 422
    code = "video_too_long"
    message = lazy("The video is too long: at most %(minutes)d minutes.")


class StorageQuotaFull(DomainError):
    status = 413
    code = "storage_quota_exceeded"
    message = lazy(
        "Your company's files would take more than its %(megabytes)d MB of storage. "
        "Remove files you no longer need first."
    )


class ApprovalNeeded(DomainError):
    status = 422
    code = "approval_needed"
    message = lazy(
        "Until a booth is approved, your booths hold at most %(files)d new files and "
        "%(megabytes)d MB. More can be added after approval."
    )


class UploadRateLimited(TooManyRequests):
    code = "upload_rate_limited"
    message = lazy("Too many uploads. Please wait %(minutes)d minutes and try again.")


class NoPendingChanges(Conflict):
    code = "no_pending_changes"
    message = lazy("This booth has no changes waiting for review.")
