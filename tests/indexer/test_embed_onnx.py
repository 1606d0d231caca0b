"""The int8 ONNX MiniLM: exported once from the packaged model, cached under the data dir,
its vectors close to the torch model's (real model, real onnxruntime; no network)."""

from __future__ import annotations

import pytest

from indexer.embed import Embedder, model_id, packaged_model_folder

pytestmark = pytest.mark.skipif(packaged_model_folder() is None,
                                reason="the packaged MiniLM model is not installed")

TEXTS = [
    "def parse_config(path):\n    return toml.load(open(path))",
    "class Schema:\n    def load(self, data, many=None):\n        return self._do_load(data)",
    "How do I reset my password when the e-mail never arrives?",
    "ZeroDivisionError: division by zero in apply_discount",
]


def test_int8_model_matches_torch_and_is_cached(settings, monkeypatch, tmp_path) -> None:  # noqa: ANN001
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    from assistant.paths import get_paths
    from indexer import embed, embed_onnx

    # The first-use path: no export from the install step, so it goes to the data dir.
    monkeypatch.setattr(embed_onnx, "installed_model", lambda source: tmp_path / "none.onnx")
    monkeypatch.setattr(embed, "_MODELS", {})  # not the copy another test loaded
    int8 = Embedder("all-MiniLM-L6-v2-int8")
    assert model_id(int8.name) == "all-MiniLM-L6-v2-int8" != model_id("all-MiniLM-L6-v2")
    fast = int8.encode(TEXTS)
    exported = list((get_paths().data_dir / "models").glob("minilm-l6-v2-int8-*/model.onnx"))
    assert len(exported) == 1
    mtime = exported[0].stat().st_mtime_ns
    assert embed_onnx.cached_model(packaged_model_folder()) == exported[0]  # cached: no export
    assert exported[0].stat().st_mtime_ns == mtime
    reference = Embedder("all-MiniLM-L6-v2").encode(TEXTS)
    assert fast.shape == reference.shape == (4, 384)
    cosine = (fast * reference).sum(axis=1)
    assert cosine.min() > 0.97, cosine
    # the nearest neighbours agree: each text is closest to itself across the two models
    assert ((fast @ reference.T).argmax(axis=1) == range(4)).all()


def test_the_install_step_export_is_used_first(monkeypatch, tmp_path) -> None:  # noqa: ANN001
    """``python -m indexer.embed_onnx`` (run by ``make install``) writes the file the app then
    loads: no export in the data dir."""
    pytest.importorskip("onnxruntime")
    from assistant.paths import get_paths
    from indexer import embed_onnx

    source = packaged_model_folder()
    installed = tmp_path / "share" / "model.onnx"
    monkeypatch.setattr(embed_onnx, "installed_model", lambda folder: installed)
    monkeypatch.setattr(embed_onnx, "_export", _fake_export)
    embed_onnx.main()
    assert installed.read_bytes() == b"onnx"
    assert embed_onnx.cached_model(source) == installed
    assert not (get_paths().data_dir / "models").exists()


def _fake_export(source, target) -> None:  # noqa: ANN001
    target.write_bytes(b"onnx")
