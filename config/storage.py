"""The `default` storage: local files, or an S3-compatible bucket.

One S3 client setup covers MinIO, Tencent COS and Aliyun OSS, which all
speak the S3 API. Every value comes from the environment, and nothing falls
back to an AWS endpoint or credential chain.
"""

import os
from typing import Any

from botocore.config import Config
from django.core.exceptions import ImproperlyConfigured

from config.env import env_int, env_str

FILE_SYSTEM_BACKEND = "django.core.files.storage.FileSystemStorage"
S3_BACKEND = "storages.backends.s3.S3Storage"
ADDRESSING_STYLES = {"path", "virtual"}
# botocore names: s3v4 is Signature Version 4, s3 is Version 2.
SIGNATURE_VERSIONS = {"s3v4", "s3"}


def default_storage_config() -> dict[str, Any]:
    """Build the `default` entry of STORAGES from S3_* variables.

    Without S3_BUCKET the uploads stay on the local file system. With it,
    the endpoint, region and both keys are required: the keys are never
    looked up elsewhere, so boto3 does not walk its credential chain.
    """
    bucket = env_str("S3_BUCKET", "")
    if not bucket:
        return {"BACKEND": FILE_SYSTEM_BACKEND}
    # boto3 queries the instance-metadata address for credentials when none
    # are passed. The keys below are always passed, and this turns the
    # lookup off for every other client in the process too.
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    missing = [
        name
        for name in (
            "S3_ENDPOINT_URL",
            "S3_REGION",
            "S3_ACCESS_KEY_ID",
            "S3_SECRET_ACCESS_KEY",
        )
        if not os.environ.get(name)
    ]
    if missing:
        raise ImproperlyConfigured(
            f"S3_BUCKET is set, so {', '.join(missing)} must be set as well."
        )
    addressing_style = env_str("S3_ADDRESSING_STYLE", "path")
    if addressing_style not in ADDRESSING_STYLES:
        raise ImproperlyConfigured(
            f"S3_ADDRESSING_STYLE={addressing_style!r} is invalid: use path "
            "(MinIO) or virtual (Tencent COS, Aliyun OSS)."
        )
    signature_version = env_str("S3_SIGNATURE_VERSION", "s3v4")
    if signature_version not in SIGNATURE_VERSIONS:
        raise ImproperlyConfigured(
            f"S3_SIGNATURE_VERSION={signature_version!r} is invalid: use s3v4 "
            "(Signature Version 4) or s3 (Version 2, for Aliyun OSS)."
        )
    client_config = Config(
        s3={"addressing_style": addressing_style},
        signature_version=signature_version,
        # Since boto3 1.36.0 (its "S3 default integrity change" notice),
        # uploads carry CRC checksum headers by default, which S3-compatible
        # stores do not all accept. They are sent only where S3 requires them.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        connect_timeout=env_int("S3_CONNECT_TIMEOUT", 3, minimum=1),
        read_timeout=env_int("S3_READ_TIMEOUT", 10, minimum=1),
        # Standard mode retries throttling and 5xx responses with backoff,
        # and max_attempts counts the first try.
        retries={"mode": "standard", "max_attempts": 3},
    )
    return {
        "BACKEND": S3_BACKEND,
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": env_str("S3_ENDPOINT_URL"),
            "region_name": env_str("S3_REGION"),
            "access_key": env_str("S3_ACCESS_KEY_ID"),
            "secret_key": env_str("S3_SECRET_ACCESS_KEY"),
            "client_config": client_config,
            # The bucket is private: objects get no ACL of their own and
            # every URL handed out is a presigned GET that expires.
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": env_int("S3_URL_EXPIRE_SECONDS", 3600, minimum=60),
            # Names are random (144 bits), so the existence check before
            # each upload is skipped.
            "file_overwrite": True,
        },
    }
