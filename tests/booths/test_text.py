"""Search folding: what a buyer types matches what an exhibitor wrote, in any script."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from booths.text import MAX_TERMS, fold, search_terms, texts

words = st.text(
    alphabet=st.characters(categories=("L", "M", "N"), exclude_characters="%_\\"),
    min_size=1,
    max_size=12,
)


@given(st.text(max_size=200))
def test_folding_is_idempotent(text):
    assert fold(fold(text)) == fold(text)


@given(st.lists(words, min_size=1, max_size=12))
def test_every_word_of_a_text_finds_it(written):
    stored = texts({"ja": " ".join(written)})
    for term in search_terms(" ".join(written)):
        assert term in stored


@given(st.text(max_size=500))
def test_terms_are_bounded_distinct_and_free_of_wildcards(query):
    terms = search_terms(query)
    assert len(terms) <= MAX_TERMS
    assert len(set(terms)) == len(terms)
    assert not any(c in term for term in terms for c in "%_\\ ")


def test_examples_across_scripts():
    assert fold("Ｔｅａ　ＳＥＴ") == "tea set"
    assert fold("ｶﾀｶﾅ") == "カタカナ"
    assert fold("Gốm sứ Bát Tràng") == "gom su bat trang"
    assert fold("Đà Nẵng") == "da nang"
    assert fold("มัทฉะ") == "มัทฉะ"  # Thai marks are letters here, not accents
    assert fold("ガラス") != fold("カラス")  # dakuten change the word
    assert fold("ÉLAN Straße") == "elan strasse"
