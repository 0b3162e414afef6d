"""The demo's data files: they load into the people and companies the demo promises, and a
mistake in one (a typo in a key, a wrong type, a language that is not one of the six, an
address that names nobody, broken TOML) stops the load with the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from demo.data import (
    BUYERS,
    EXHIBITORS,
    FOLDER,
    INTERPRETERS,
    PEOPLE,
    DemoDataError,
    Exhibitor,
    Programme,
    read,
)

TSUBAME = FOLDER / "exhibitors" / "01-tsubame-migaki.toml"
KNOWN = {"exhibitors": {e.email for e in EXHIBITORS}, "buyers": {b.email for b in BUYERS}}


def edited(tmp_path: Path, source: Path, old: str, new: str) -> Path:
    text = source.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / source.name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_the_files_hold_the_programme_the_readme_describes():
    assert len(EXHIBITORS) == 12
    assert [b.country for b in BUYERS].count("CN") == 4
    assert len(BUYERS) == 12 and len(INTERPRETERS) == 3
    assert PEOPLE.organizer.email == "organizer@kakehashi.example"
    assert EXHIBITORS[0].email == "info@tsubame-migaki.example"  # files load in name order
    assert all({"ja", "en"} <= set(e.company) for e in EXHIBITORS)


def test_a_misspelt_key_names_the_file_and_the_key(tmp_path):
    path = edited(tmp_path, TSUBAME, 'hs_code = "961700"', 'hs_cod = "961700"')
    with pytest.raises(DemoDataError) as error:
        read(path, Exhibitor)
    message = str(error.value)
    assert message.startswith(f"{path}: ")
    assert "products[0].hs_code: Field required" in message
    assert "products[0].hs_cod: Extra inputs are not permitted" in message


def test_a_wrong_type_names_the_key(tmp_path):
    path = edited(tmp_path, TSUBAME, "moq = 300", 'moq = "many"')
    with pytest.raises(DemoDataError, match=r"products\[0\]\.moq: Input should be a valid int"):
        read(path, Exhibitor)


def test_a_language_outside_the_six_is_refused(tmp_path):
    path = edited(tmp_path, TSUBAME, "zh_Hans = ", "fr = ")
    with pytest.raises(DemoDataError, match=r"tagline\.fr"):
        read(path, Exhibitor)


def test_an_exhibitor_text_without_english_is_refused(tmp_path):
    path = edited(tmp_path, TSUBAME, 'en = "Tsubame Migaki Kogyo Co., Ltd."', "")
    with pytest.raises(DemoDataError, match="company: Value error, an exhibitor's text needs"):
        read(path, Exhibitor)


def test_an_address_that_names_nobody_is_refused(tmp_path):
    programme = FOLDER / "programme.toml"
    path = edited(
        tmp_path, programme, 'exhibitor = "info@kishu-chemical.example"', 'exhibitor = "x@y.z"'
    )
    with pytest.raises(DemoDataError, match=r"following_fair\.rejected\[0\]\.exhibitor: .*no demo"):
        read(path, Programme, KNOWN)
    assert read(programme, Programme, KNOWN).following_fair.rejected  # the real one is fine


def test_broken_toml_names_the_file(tmp_path):
    path = edited(tmp_path, TSUBAME, 'name = "Kenji Watanabe"', 'name = "Kenji Watanabe')
    with pytest.raises(DemoDataError, match=rf"^{path}: .*line 4"):
        read(path, Exhibitor)
