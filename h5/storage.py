"""Static files storage that also hashes the names in ES module imports."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class ModuleManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's compressed manifest storage, rewriting module imports.

    The H5 scripts import each other (`import ... from "./api.js"`). Django
    leaves those names unhashed by default, so a page could pair a new
    book.js with a cached old api.js after a deploy. With this flag,
    collectstatic rewrites them to the hashed names.
    """

    support_js_module_import_aggregation = True
