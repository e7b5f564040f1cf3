"""Field encryption with key ids (rotation without downtime) and formula-safe CSV/XLSX writers."""

import io

import pytest
from openpyxl import load_workbook

from common import tabular
from common.crypto import CipherError, FieldCipher, new_key, parse_keys


def test_values_decrypt_with_the_key_that_wrote_them_while_new_writes_use_the_active_one():
    k1, k2 = new_key(), new_key()
    old = FieldCipher(parse_keys(f"k1:{k1}"), "k1")
    blob = old.encrypt("the stepfather", "cases.perpetrator")
    assert blob is not None and b"stepfather" not in blob
    both = FieldCipher(parse_keys(f"k1:{k1},k2:{k2}"), "k2")
    assert both.decrypt(blob, "cases.perpetrator") == "the stepfather"
    assert not both.is_current(blob)
    rotated = both.rotate(blob, "cases.perpetrator")
    assert both.key_id(rotated) == "k2" and both.is_current(rotated)
    only_new = FieldCipher(parse_keys(f"k2:{k2}"), "k2")
    assert only_new.decrypt(rotated, "cases.perpetrator") == "the stepfather"
    with pytest.raises(CipherError):
        only_new.decrypt(blob, "cases.perpetrator")


def test_a_value_does_not_decrypt_in_another_field_or_when_tampered():
    cipher = FieldCipher(parse_keys(f"k1:{new_key()}"), "k1")
    blob = cipher.encrypt("secret", "cases.report")
    assert blob is not None
    with pytest.raises(CipherError):
        cipher.decrypt(blob, "cases.reporter")
    with pytest.raises(CipherError):
        cipher.decrypt(blob[:-1] + bytes([blob[-1] ^ 1]), "cases.report")
    assert cipher.encrypt("secret", "cases.report") != blob  # a fresh nonce each time
    assert cipher.encrypt(None, "x") is None and cipher.decrypt(None, "x") is None


def test_bad_key_lists_are_refused_without_showing_the_key():
    with pytest.raises(ValueError, match="32 bytes"):
        parse_keys("k1:c2hvcnQ")
    with pytest.raises(ValueError) as err:
        parse_keys("no-colon-here")
    assert "kid:base64url-key" in str(err.value)
    with pytest.raises(ValueError):
        FieldCipher(parse_keys(f"k1:{new_key()}"), "k9")


def test_writers_neutralise_formulas():
    rows = [["=1+2", "+x", "-3", "@SUM(A1)", "plain", 5]]
    text = tabular.write_csv(["a", "b", "c", "d", "e", "f"], rows).decode("utf-8-sig")
    assert text.splitlines()[1] == "'=1+2,'+x,'-3,'@SUM(A1),plain,5"
    book = load_workbook(io.BytesIO(tabular.write_xlsx(["a", "b", "c", "d", "e", "f"], rows)))
    values = [c.value for c in next(book.active.iter_rows(min_row=2))]
    assert values == ["'=1+2", "'+x", "'-3", "'@SUM(A1)", "plain", 5]
