"""Masks for personal data in logs."""


def mask_phone(phone: str) -> str:
    if len(phone) < 7:
        return "***"
    return f"{phone[:3]}****{phone[-4:]}"


def mask_openid(openid: str) -> str:
    if len(openid) <= 8:
        return "***"
    return f"{openid[:4]}…{openid[-4:]}"
