"""Stage 2's frame and text embeddings behind one small interface, cached on disk.

Backends: `clip` (open_clip, the optional extra `vdbench[clip]`) and `offline`, a
deterministic stand-in with no model (hashed words, pixel statistics) that lets the whole
method run in tests. Both return unit-norm rows, so a dot product is a cosine similarity.
"""

from __future__ import annotations

import hashlib
import io
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from PIL import Image

from vdbench.core.errors import InputError, require
from vdbench.frames.types import Frame
from vdbench.llm.cache import connect_wal


class Embedder(Protocol):
    identity: str  # changes whenever the vectors would

    def embed_images(self, jpegs: Sequence[bytes]) -> np.ndarray: ...

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray: ...


def _unit_rows(m: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    return (m / np.where(norms == 0, 1.0, norms)).astype(np.float32)


class OfflineEmbedder:
    """Texts: signed hashed bag of words. Images: an 8x8 colour thumbnail, centred and
    projected by a fixed random matrix. Deterministic, meaningless as a retrieval model."""

    identity = "offline-v1"
    dim = 128
    _thumb = 8

    def __init__(self) -> None:
        rng = np.random.default_rng(20250311)
        self._projection = rng.standard_normal((self._thumb * self._thumb * 3, self.dim))

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim))
        for row, text in enumerate(texts):
            for word in re.findall(r"[a-z0-9]+", text.lower()):
                digest = hashlib.sha256(word.encode()).digest()
                out[row, int.from_bytes(digest[:4], "big") % self.dim] += (
                    1.0 if digest[4] & 1 else -1.0)
        return _unit_rows(out)

    def embed_images(self, jpegs: Sequence[bytes]) -> np.ndarray:
        rows = []
        for jpeg in jpegs:
            with Image.open(io.BytesIO(jpeg)) as image:
                thumb = image.convert("RGB").resize((self._thumb, self._thumb),
                                                    Image.Resampling.BILINEAR)
            pixels = np.asarray(thumb, dtype=np.float64).reshape(-1) / 255.0
            rows.append((pixels - pixels.mean()) @ self._projection)
        return _unit_rows(np.array(rows).reshape(len(jpegs), self.dim))


class ClipEmbedder:
    """open_clip, loaded on first use. Weights come from open_clip's usual download, or from
    a local checkpoint file given as `clip_pretrained`."""

    batch_size = 32

    def __init__(self, model: str, pretrained: str, device: str = "auto"):
        self._open_clip = require("open_clip", "clip")
        self._torch = require("torch", "clip")
        self.model_name, self.pretrained = model, pretrained
        self.identity = f"open_clip:{model}:{pretrained}"
        if device == "auto":
            device = "cuda" if self._torch.cuda.is_available() else "cpu"
        self.device = device
        self._lock = threading.Lock()  # one model, used from the pipeline's worker threads
        self._loaded: tuple[Any, Any, Any] | None = None

    def _load(self) -> tuple[Any, Any, Any]:
        if self._loaded is None:
            try:
                model, _, preprocess = self._open_clip.create_model_and_transforms(
                    self.model_name, pretrained=self.pretrained, device=self.device)
            except Exception as exc:
                raise InputError(
                    f"viddiff: cannot load CLIP {self.model_name} ({self.pretrained}): {exc}. "
                    "open_clip downloads the weights on first use; offline, set "
                    "viddiff.clip_pretrained to a local checkpoint file") from exc
            model.eval()
            self._loaded = (model, preprocess, self._open_clip.get_tokenizer(self.model_name))
        return self._loaded

    def _encode(self, encode: Any, batch: Any) -> np.ndarray:
        with self._torch.no_grad():
            return encode(batch.to(self.device)).float().cpu().numpy()

    def embed_images(self, jpegs: Sequence[bytes]) -> np.ndarray:
        with self._lock:
            model, preprocess, _ = self._load()
            chunks = []
            for start in range(0, len(jpegs), self.batch_size):
                images = [preprocess(Image.open(io.BytesIO(j)).convert("RGB"))
                          for j in jpegs[start:start + self.batch_size]]
                chunks.append(self._encode(model.encode_image, self._torch.stack(images)))
        return _unit_rows(np.concatenate(chunks))

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            model, _, tokenizer = self._load()
            return _unit_rows(self._encode(model.encode_text, tokenizer(list(texts))))


class EmbeddingCache:
    """Vectors by content key in one sqlite file (WAL), shared by runs and processes."""

    def __init__(self, path: Path):
        self._lock = threading.Lock()
        self._db = connect_wal(path, "CREATE TABLE IF NOT EXISTS vectors "
                                     "(key TEXT PRIMARY KEY, vec BLOB NOT NULL)")

    def get(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        with self._lock:
            rows = [self._db.execute("SELECT vec FROM vectors WHERE key = ?", (k,)).fetchone()
                    for k in keys]
        return {k: np.frombuffer(r[0], dtype=np.float32) for k, r in zip(keys, rows) if r}

    def put(self, items: dict[str, np.ndarray]) -> None:
        with self._lock:
            self._db.executemany("INSERT OR IGNORE INTO vectors VALUES (?, ?)",
                                 [(k, v.astype(np.float32).tobytes()) for k, v in items.items()])

    def close(self) -> None:
        with self._lock:
            self._db.close()


class CachedEmbedder:
    """An embedder whose vectors are looked up by content before anything is computed."""

    def __init__(self, backend: Embedder, cache: EmbeddingCache | None):
        self.backend = backend
        self.cache = cache
        self.stats = {"computed": 0, "cached": 0}
        self._lock = threading.Lock()

    @property
    def identity(self) -> str:
        return self.backend.identity

    def _key(self, kind: str, content_id: str) -> str:
        return hashlib.sha256(f"{self.identity}\0{kind}\0{content_id}".encode()).hexdigest()

    def _lookup(self, keys: list[str], compute: Any) -> np.ndarray:
        found = self.cache.get(keys) if self.cache else {}
        missing = [i for i, k in enumerate(keys) if k not in found]
        if missing:
            vectors = compute(missing)
            fresh = {keys[i]: vectors[row] for row, i in enumerate(missing)}
            if self.cache:
                self.cache.put(fresh)
            found.update(fresh)
        with self._lock:
            self.stats["computed"] += len(missing)
            self.stats["cached"] += len(keys) - len(missing)
        return np.stack([found[k] for k in keys])

    def frames(self, frames: Sequence[Frame]) -> np.ndarray:
        keys = [self._key("image", f.sha256) for f in frames]
        return self._lookup(keys, lambda idx: self.backend.embed_images(
            [frames[i].image for i in idx]))

    def texts(self, texts: Sequence[str]) -> np.ndarray:
        keys = [self._key("text", t) for t in texts]
        return self._lookup(keys, lambda idx: self.backend.embed_texts([texts[i] for i in idx]))


def make_embedder(name: str, model: str, pretrained: str, device: str,
                  cache_path: Path | None) -> CachedEmbedder:
    backend: Embedder = (OfflineEmbedder() if name == "offline"
                         else ClipEmbedder(model, pretrained, device))
    return CachedEmbedder(backend, EmbeddingCache(cache_path) if cache_path else None)
