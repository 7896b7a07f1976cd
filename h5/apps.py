from django.apps import AppConfig


class H5Config(AppConfig):
    name = "h5"
    verbose_name = "微信 H5 页面"
