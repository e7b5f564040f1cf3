"""The service's cipher of narrative fields, made once from settings (``app.state.cipher``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from common.crypto import FieldCipher


def get_cipher(request: Request) -> FieldCipher:
    cipher: FieldCipher = request.app.state.cipher
    return cipher


CipherDep = Annotated[FieldCipher, Depends(get_cipher)]
