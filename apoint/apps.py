from django.apps import AppConfig


class ApointConfig(AppConfig):
    name = "apoint"
    verbose_name = "预约管理"

    def ready(self) -> None:
        from apoint import catalog  # noqa: F401  (connects the signal handlers)
