"""The one verdict on a reproduction, shared by the gallery and `fluxdesk reproduce`."""

from __future__ import annotations

from fluxdesk.core.metadata import ImageRecord, prompt_upsampling_on, reproducibility_problems, reproduction_verdict

UPSAMPLED = "prompt upsampling was on"


def record(sha: str | None, model: str = "flux-2-pro", **parameters: object) -> ImageRecord:
    """A [pro] record sent as FluxDesk sends it now: upsampling off with ``disable_pup: true``."""
    if model in ("flux-2-pro", "flux-2-max"):
        parameters.setdefault("disable_pup", True)
    return ImageRecord(model=model, prompt="a fox", seed=7, parameters=parameters, sample_sha256=sha)


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
    asked = reproduction_verdict(record("aa", disable_pup=False), record("bb", disable_pup=False))
    assert asked.identical is False and UPSAMPLED in asked.text()
    flex = ImageRecord(model="flux-2-flex", prompt="a fox", seed=7, sample_sha256="bb")  # on by default
    assert UPSAMPLED in reproduction_verdict(record("aa", "flux-2-flex"), flex).text()
    off = reproduction_verdict(record("aa", "flux-2-flex", prompt_upsampling=False),
                               record("aa", "flux-2-flex", prompt_upsampling=False))
    assert off.identical is True and off.reason is None


def test_a_pro_or_max_record_sent_without_disable_pup_was_upsampled() -> None:
    """FLUX.2 [pro]/[max] rewrite the prompt unless told ``disable_pup: true``: images FluxDesk made before it
    sent the field were upsampled, whatever ``prompt_upsampling`` said (those endpoints ignore it)."""
    for model in ("flux-2-pro", "flux-2-max"):
        before = ImageRecord(model=model, prompt="a fox", seed=7, sample_sha256="aa")
        told_off_the_old_way = ImageRecord(model=model, prompt="a fox", seed=7, sample_sha256="aa",
                                           parameters={"prompt_upsampling": False})
        for old in (before, told_off_the_old_way):
            assert prompt_upsampling_on(old)
            verdict = reproduction_verdict(old, old)
            assert UPSAMPLED in verdict.text() and verdict.reason is not None
            assert any(p.startswith(UPSAMPLED) for p in reproducibility_problems(old))
        unsaid = reproducibility_problems(before)[0]
        assert "turns it on by default" in unsaid, unsaid
        now = record("aa", model)
        assert not prompt_upsampling_on(now) and reproducibility_problems(now) == []
        assert reproduction_verdict(now, now).identical is True
        assert reproduction_verdict(now, record("bb", model)).identical is False


def test_models_without_a_switch_never_upsample() -> None:
    klein = ImageRecord(model="flux-2-klein-4b", prompt="a fox", seed=7, sample_sha256="aa")
    assert not prompt_upsampling_on(klein)
    assert reproduction_verdict(klein, klein).identical is True
