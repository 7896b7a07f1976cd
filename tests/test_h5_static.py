import re

from django.core.management import call_command
from django.templatetags.static import static

from h5.storage import ModuleManifestStaticFilesStorage


def test_collectstatic_hashes_module_imports(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "h5.storage.ModuleManifestStaticFilesStorage"},
    }
    # Only the h5 files: compressing the admin's would slow the test down.
    call_command(
        "collectstatic", interactive=False, verbosity=0, ignore_patterns=["admin"]
    )
    storage = ModuleManifestStaticFilesStorage(location=tmp_path)
    book = (tmp_path / storage.stored_name("h5/book.js")).read_text()
    imports = set(re.findall(r'from "\./([^"]+)"', book))
    expected = {
        storage.stored_name("h5/api.js").removeprefix("h5/"),
        storage.stored_name("h5/forms.js").removeprefix("h5/"),
    }
    assert imports == expected
    assert all(re.fullmatch(r"[a-z]+\.[0-9a-f]{12}\.js", name) for name in imports)
    # The page's preload links name the same files the imports load.
    assert static("h5/api.js") == "/static/" + storage.stored_name("h5/api.js")
