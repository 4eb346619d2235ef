"""The one verdict on a reproduction, shared by the gallery and `fluxdesk reproduce`."""

from __future__ import annotations

from fluxdesk.core.metadata import ImageRecord, reproduction_verdict


def record(sha: str | None, **parameters: object) -> ImageRecord:
    return ImageRecord(model="flux-2-pro", prompt="a fox", seed=7, parameters=parameters, sample_sha256=sha)


def test_same_bytes_from_bfl_are_identical_image_data() -> None:
    verdict = reproduction_verdict(record("aa"), record("aa"))
    assert verdict.identical is True and verdict.reason is None
    assert verdict.text() == "the image data is identical to the original's"


def test_different_bytes_say_so_and_why() -> None:
    verdict = reproduction_verdict(record("aa"), record("bb"))
    assert verdict.identical is False
    assert verdict.text().startswith("the image data is NOT identical to the original's: same model")


def test_no_fingerprint_cannot_be_compared() -> None:
    for original in (None, record(None)):
        verdict = reproduction_verdict(original, record("bb"))
        assert verdict.identical is None and "no fingerprint" in verdict.text()


def test_upsampling_explains_a_difference_and_the_model_default_counts() -> None:
    asked = reproduction_verdict(record("aa", prompt_upsampling=True), record("bb", prompt_upsampling=True))
    assert asked.identical is False and "prompt upsampling was on" in asked.text()
    flex = ImageRecord(model="flux-2-flex", prompt="a fox", seed=7, sample_sha256="bb")  # on by default
    assert "prompt upsampling" in reproduction_verdict(record("aa"), flex).text()
    off = reproduction_verdict(record("aa"), record("aa", prompt_upsampling=False))
    assert off.identical is True and off.reason is None
