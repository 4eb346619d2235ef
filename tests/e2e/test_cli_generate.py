"""generate, reproduce and resume, end to end: the real CLI, real HTTP on loopback, a real library."""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e_support import KEY, cli_env, json_lines, query, run_cli, sim_library

from fluxdesk.core.metadata import prompt_upsampling_on
from fluxdesk.storage.metadata_io import read_metadata

FAMILIES = [
    ("flux-2-pro", ["--width", "1024", "--height", "768"], "jpeg"),
    ("flux-2-klein-4b", ["--width", "512", "--height", "512", "--output-format", "webp"], "webp"),
    ("flux-pro-1.1", ["--width", "1024", "--height", "768", "--output-format", "png"], "png"),
    ("flux-pro-1.1-ultra", ["--aspect-ratio", "21:9"], "jpeg"),
    ("flux-kontext-pro", ["--aspect-ratio", "1:1"], "png"),
    ("flux-dev", ["--steps", "20", "--guidance", "3.5", "--width", "768", "--height", "768"], "jpeg"),
]


@pytest.mark.parametrize(("model", "args", "fmt"), FAMILIES, ids=[f[0] for f in FAMILIES])
def test_generate_every_model_family(make_sim, tmp_path: Path, model, args, fmt) -> None:
    sim = make_sim()
    env = cli_env(tmp_path, sim.api_base)
    out = run_cli(env, "generate", "--prompt", "a lighthouse at dawn", "--model", model, *args, "--seed", "7",
                  "--json")
    assert out.returncode == 0, out.stderr
    [line] = json_lines(out.stdout)
    assert line["status"] == "done" and line["model"] == model and line["seed"] == 7 and line["error"] is None
    assert line["cost_credits"] == float(sim.task(sim.task_ids()[0]).cost)
    path = Path(line["path"])
    assert path.is_file() and path.suffix == "." + ("jpg" if fmt == "jpeg" else fmt)
    assert path.is_relative_to(sim_library(tmp_path) / "images")
    record, _ = read_metadata(path.read_bytes())
    assert record is not None and record.model == model and record.seed == 7 and record.task_id
    assert record.prompt == "a lighthouse at dawn" and record.cost_credits == sim.task(record.task_id).cost
    assert sim.counters.tasks_created == 1 and sim.counters.delivery_requests_with_key == 0
    assert sim.counters.polls_wrong_origin == 0
    assert KEY not in path.read_bytes().decode("latin-1")


def test_a_batch_uses_seed_s_s1_s2_and_every_image_is_billed_once(make_sim, tmp_path: Path) -> None:
    sim = make_sim()
    env = cli_env(tmp_path, sim.api_base)
    out = run_cli(env, "generate", "--prompt", "three foxes", "--model", "flux-2-pro", "--seed", "100",
                  "--count", "3", "--json")
    assert out.returncode == 0, out.stderr
    lines = json_lines(out.stdout)
    assert sorted(line["seed"] for line in lines) == [100, 101, 102]
    assert len({line["path"] for line in lines}) == 3
    assert sim.counters.tasks_created == 3 and sorted(sim.counters.billed_tasks) == sorted(sim.task_ids())
    rows = query(tmp_path, "SELECT task_id, status FROM jobs")
    assert sorted(t for t, _ in rows) == sorted(sim.task_ids()) and {s for _, s in rows} == {"done"}
    assert query(tmp_path, "SELECT count(*) FROM images")[0][0] == 3


def test_reproduce_gives_identical_image_data_for_a_fixed_seed(make_sim, tmp_path: Path) -> None:
    sim = make_sim()
    env = cli_env(tmp_path, sim.api_base)
    first = json_lines(run_cli(env, "generate", "--prompt", "a blue cat", "--model", "flux-2-pro", "--seed",
                               "9", "--json").stdout)[0]
    by_path = run_cli(env, "reproduce", first["path"], "--json")
    assert by_path.returncode == 0, by_path.stderr
    again = json_lines(by_path.stdout)[0]
    assert again["identical"] is True and again["seed"] == 9 and again["path"] != first["path"]
    assert Path(again["path"]).parent == Path(first["path"]).parent  # lands next to the original
    by_job = json_lines(run_cli(env, "reproduce", first["job_id"], "--json").stdout)[0]
    assert by_job["identical"] is True
    text = run_cli(env, "reproduce", first["path"])
    assert text.returncode == 0 and "the image data is identical to the original's" in text.stdout


def test_reproduce_explains_why_upsampling_cannot_be_exact(make_sim, tmp_path: Path) -> None:
    sim = make_sim()
    env = cli_env(tmp_path, sim.api_base)
    first = json_lines(run_cli(env, "generate", "--prompt", "a castle", "--model", "flux-pro-1.1",
                               "--prompt-upsampling", "--seed", "3", "--json").stdout)[0]
    again = json_lines(run_cli(env, "reproduce", first["path"], "--json").stdout)[0]
    assert again["status"] == "done" and "prompt upsampling" in again["reason"]


def test_reproduce_refuses_what_it_cannot_find(make_sim, tmp_path: Path) -> None:
    sim = make_sim()
    env = cli_env(tmp_path, sim.api_base)
    out = run_cli(env, "reproduce", "no-such-job")
    assert out.returncode == 2 and "neither an image file nor a job id" in out.stderr
    assert sim.counters.post_requests == 0


def test_invalid_input_exits_2_and_sends_nothing(make_sim, tmp_path: Path) -> None:
    sim = make_sim()
    env = cli_env(tmp_path, sim.api_base)
    out = run_cli(env, "generate", "--prompt", "x", "--model", "flux-2-pro", "--width", "1000", "--height",
                  "1000", "--count", "2")
    assert out.returncode == 2 and "width: must be a multiple of 16" in out.stderr
    # a batch whose last seed would overflow is refused whole, before the first is sent
    out = run_cli(env, "generate", "--prompt", "x", "--model", "flux-dev", "--seed", str(2**63 - 1),
                  "--count", "2")
    assert out.returncode == 2 and "seed" in out.stderr
    assert sim.counters.post_requests == 0


def test_without_a_key_nothing_is_sent(make_sim, tmp_path: Path) -> None:
    sim = make_sim()
    env = cli_env(tmp_path, sim.api_base)
    del env["BFL_API_KEY"]
    out = run_cli(env, "generate", "--prompt", "x", "--model", "flux-dev")
    assert out.returncode == 2 and "no API key" in out.stderr and sim.counters.post_requests == 0



@pytest.mark.parametrize("base", ["http://api.bfl.ai", "https://api.bfl.ai.evil.example", "ftp://127.0.0.1"])
def test_an_api_base_the_host_policy_refuses_exits_2_in_words(tmp_path: Path, base: str) -> None:
    # Found by the key drill: the refusal used to escape as a HostPolicyError traceback (exit 1), after
    # the library had been created. Now it is a usage error before anything is opened or sent.
    out = run_cli(cli_env(tmp_path / "home", base), "generate", "--prompt", "x", "--model", "flux-dev")
    assert out.returncode == 2 and "Refused the API address" in out.stderr
    assert "Traceback" not in out.stderr and KEY not in out.stdout + out.stderr
    assert not (tmp_path / "home").exists()


@pytest.mark.parametrize("command", [["generate", "--prompt", "x", "--model", "flux-dev"], ["resume"]])
def test_a_damaged_library_is_said_in_words_and_nothing_is_sent(make_sim, tmp_path: Path, command) -> None:
    # Found by the damaged-database drill: generate and resume showed a CorruptDatabaseError traceback.
    sim = make_sim()
    sim_library(tmp_path).mkdir()
    (sim_library(tmp_path) / "fluxdesk.db").write_bytes(b"this is not a database" * 200)
    out = run_cli(cli_env(tmp_path, sim.api_base), *command)
    assert out.returncode == 1 and "is damaged" in out.stderr and "A copy was kept at" in out.stderr
    assert "Traceback" not in out.stderr
    assert (sim_library(tmp_path) / "fluxdesk.db").read_bytes() == b"this is not a database" * 200
    assert sim.counters.post_requests == 0

@pytest.mark.parametrize(("setup", "status", "words"), [
    ({"moderation_word": "forbidden"}, "moderated", "Nothing was charged"),
    ({"credits": 1}, "failed", "credits"),
])
def test_failures_are_named_and_exit_1(make_sim, tmp_path: Path, setup, status, words) -> None:
    sim = make_sim(**setup)
    env = cli_env(tmp_path, sim.api_base)
    out = run_cli(env, "generate", "--prompt", "a forbidden tower", "--model", "flux-dev", "--json")
    assert out.returncode == 1
    [line] = json_lines(out.stdout)
    assert line["status"] == status and words in line["error"] and line["path"] is None
    assert line["cost_credits"] == 0
    assert sim.counters.billed_tasks == []


def test_a_bad_key_is_named(make_sim, tmp_path: Path) -> None:
    sim = make_sim(key="bfl_the-right-one")
    env = cli_env(tmp_path, sim.api_base)
    out = run_cli(env, "generate", "--prompt", "x", "--model", "flux-dev", "--count", "3", "--json")
    assert out.returncode == 1
    lines = json_lines(out.stdout)
    assert len(lines) == 3 and all(line["status"] == "failed" for line in lines)
    assert any("key" in line["error"].lower() for line in lines)
    assert sim.counters.tasks_created == 0


def test_resume_with_nothing_to_do(make_sim, tmp_path: Path) -> None:
    sim = make_sim()
    out = run_cli(cli_env(tmp_path, sim.api_base), "resume")
    assert out.returncode == 0 and "Nothing to resume" in out.stdout


def test_the_key_reaches_no_file_under_the_home(make_sim, tmp_path: Path) -> None:
    sim = make_sim(moderation_word="forbidden")
    env = cli_env(tmp_path, sim.api_base)
    first = json_lines(run_cli(env, "generate", "--prompt", "a fox", "--model", "flux-2-pro", "--seed", "1",
                               "--count", "2", "--json").stdout)[0]
    run_cli(env, "generate", "--prompt", "a forbidden fox", "--model", "flux-dev")
    run_cli(env, "reproduce", first["path"])
    run_cli(env, "resume")
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) >= 4  # database (+ WAL), images, thumbnails…
    for path in files:
        assert KEY.encode() not in path.read_bytes(), path
    assert sim.counters.requests_with_key_outside_api == 0


def test_info_and_spend_after_a_real_batch(make_sim, tmp_path: Path) -> None:
    sim = make_sim(moderation_word="forbidden", max_output_pixels=None)  # full-size images
    env = cli_env(tmp_path, sim.api_base)
    done = json_lines(run_cli(env, "generate", "--prompt", "a harbour", "--model", "flux-2-pro", "--width",
                              "1920", "--height", "1088", "--seed", "11", "--count", "2", "--json").stdout)
    run_cli(env, "generate", "--prompt", "a forbidden harbour", "--model", "flux-pro-1.1")
    info = run_cli(env, "info", done[0]["path"], "--json")
    assert info.returncode == 0, info.stderr
    meta = json_lines(info.stdout)[0]
    assert meta["source"] == "fluxdesk" and meta["seed"] in (11, 12) and meta["width"] == 1920
    assert meta["cost_credits"] == 4.5 and meta["reproducible"] is True and meta["task_id"] in sim.task_ids()
    real = json_lines(run_cli(env, "spend", "--json").stdout)[0]
    assert real["total_credits"] == 0 and real["jobs"] == 0  # the simulator's pretend spend is not real spend
    # The simulator's jobs are in the demo library, marked demo: its ledger, demo jobs included.
    spend = run_cli({**env, "FLUXDESK_HOME": str(sim_library(tmp_path))}, "spend", "--json", "--include-demo")
    assert spend.returncode == 0, spend.stderr
    data = json_lines(spend.stdout)[0]
    assert data["total_credits"] == 9 and data["total_usd"] == 0.09
    assert data["by_model"]["flux-2-pro"]["credits"] == 9 and "flux-pro-1.1" not in data["by_model"]
    assert data["jobs"] == 2 and data["unbilled_jobs"] == 1
    assert float(sim.counters.billed_credits) == data["total_credits"]


@pytest.mark.parametrize(("model", "args", "sent"), [
    ("flux-2-pro", [], {"disable_pup": True}),
    ("flux-2-max", [], {"disable_pup": True}),
    ("flux-2-flex", [], {"prompt_upsampling": False}),
    ("flux-pro-1.1", [], {"prompt_upsampling": False}),
    ("flux-kontext-pro", [], {"prompt_upsampling": False}),
    ("flux-2-klein-4b", [], {}),
    ("flux-2-pro", ["--prompt-upsampling"], {"disable_pup": False}),
    ("flux-2-flex", ["--prompt-upsampling"], {"prompt_upsampling": True}),
], ids=lambda v: v if isinstance(v, str) else "-".join(v) if isinstance(v, list) else "")
def test_prompt_upsampling_is_off_wherever_it_can_be_turned_off(make_sim, tmp_path: Path, model, args,
                                                                sent) -> None:
    # BFL upsamples [pro]/[max] unless told disable_pup: true, and [flex] unless told prompt_upsampling: false;
    # a rewritten prompt breaks Reproduce, so FluxDesk says "off" at every endpoint that has a switch.
    sim = make_sim()
    out = run_cli(cli_env(tmp_path, sim.api_base), "generate", "--prompt", "a quiet pier", "--model", model,
                  "--seed", "5", *args, "--json")
    assert out.returncode == 0, out.stderr
    body = sim.task(sim.task_ids()[0]).body
    assert {k: body[k] for k in ("disable_pup", "prompt_upsampling") if k in body} == sent
    record, _ = read_metadata(Path(json_lines(out.stdout)[0]["path"]).read_bytes())
    assert record is not None
    assert {k: record.parameters[k] for k in ("disable_pup", "prompt_upsampling") if k in record.parameters} == sent
    assert prompt_upsampling_on(record) is bool(args)


def test_prompt_upsampling_cannot_be_turned_on_where_there_is_no_switch(make_sim, tmp_path: Path) -> None:
    sim = make_sim()
    out = run_cli(cli_env(tmp_path, sim.api_base), "generate", "--prompt", "x", "--model", "flux-2-klein-4b",
                  "--prompt-upsampling")
    assert out.returncode == 2 and "FLUX.2 [klein] 4B has no prompt upsampling to turn on" in out.stderr
    assert sim.counters.post_requests == 0
