"""The documented uniform API stays in step with the feature vocabulary."""

from pathlib import Path

from reactor.features import SCALARS

ROOT = Path(__file__).resolve().parents[1]


def test_every_feature_is_documented_as_a_uniform():
    text = (ROOT / "docs" / "uniforms.md").read_text()
    missing = [name for name in SCALARS if f"`u_{name}`" not in text]
    assert not missing, f"docs/uniforms.md lacks {missing}; regenerate the table with python -m reactor.features"


def test_the_readme_shows_both_setup_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    test_cmd = "bash tools/setup.sh --test && .venv/bin/python -m pytest -q"
    assert test_cmd in readme and test_cmd in ci
    assert "bash tools/setup.sh && .venv/bin/reactor render --demo -o demo.mp4" in readme


def test_the_readme_key_table_is_the_key_map():
    from reactor.control.keys import keys_markdown

    readme = (ROOT / "README.md").read_text()
    assert keys_markdown() in readme, "README's Live key table is stale: paste reactor.control.keys.keys_markdown()"

def test_shadertoy_and_isf_uniforms_are_documented():
    from reactor.render.dialects import isf, shadertoy

    text = (ROOT / "docs" / "uniforms.md").read_text()
    names = [name for _, name, _ in shadertoy._UNIFORMS] + ["iChannelTime", "iChannelResolution", "iChannel0"]
    names += [name for _, name in isf._BUILTINS] + ["isf_FragNormCoord", "IMG_NORM_PIXEL", "IMG_PIXEL", "IMG_SIZE",
                                                    "IMG_THIS_PIXEL", "IMG_THIS_NORM_PIXEL"]
    missing = [n for n in names if f"`{n}" not in text]
    assert not missing, f"docs/uniforms.md lacks {missing}"
    for kind in isf.TYPES:
        assert f"`{kind}`" in text, kind
