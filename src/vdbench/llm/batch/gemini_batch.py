"""Gemini's Batch API through google-genai: batches.create with inlined requests (each an
InlinedRequest of the contents and config `complete` sends, its key in `metadata`) while a
job stays under INLINE_LIMIT_BYTES, else a JSONL file uploaded through the Files API (one
`{"key", "request"}` per line, the REST form the SDK itself sends inline). batches.get /
cancel; results inline (in request order) or in a JSONL file read with files.download.

The REST form comes from the SDK's own converters (`google.genai.batches`), so a file line
carries exactly what an inlined request would."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Sequence
from typing import Any

from vdbench.core.errors import InputError
from vdbench.llm.batch.base import BatchBackend
from vdbench.llm.batch.types import (
    Answered,
    BatchLineError,
    JobStatus,
    Line,
    LineError,
    LineOutcome,
    Phase,
    Unanswered,
)
from vdbench.llm.types import ChatRequest

INLINE_LIMIT_BYTES = 15 * 2**20  # the API takes 20 MB of inlined requests; stay well under
PHASE: dict[str, Phase] = {"JOB_STATE_SUCCEEDED": "ended", "JOB_STATE_FAILED": "failed",
                           "JOB_STATE_CANCELLED": "cancelled", "JOB_STATE_EXPIRED": "expired"}
CONVERTERS = ("_InlinedRequest_to_mldev", "_InlinedResponse_from_mldev")
# google.rpc.Code of a failed request -> the HTTP status the live call would have had
RPC_STATUS = {3: 400, 4: 504, 5: 404, 7: 403, 8: 429, 9: 400, 10: 409, 13: 500, 14: 503,
              16: 401}


class GeminiBatch(BatchBackend):
    provider = "gemini"
    max_requests = 100_000
    max_bytes = 1_900 * 10**6  # an input file may hold 2 GB
    inline_limit = INLINE_LIMIT_BYTES

    def endpoint(self) -> str:
        return str(self.client()._api_client._http_options.base_url)

    async def prepare(self, request: ChatRequest, key: str) -> Line:
        from google.genai import types

        client = self.client()
        contents, config = await self.adapter.generate_args(client, request)
        inlined = types.InlinedRequest(contents=contents, config=config, metadata={"key": key})
        rest = await asyncio.to_thread(_file_line, client, inlined, key)
        return Line(key, (inlined, rest), len(rest))

    async def submit(self, lines: Sequence[Line], model: str) -> str:
        from google.genai import types

        client = self.client()
        config = types.CreateBatchJobConfig(display_name=f"vdbench-{lines[0].key[:12]}")
        if sum(line.size for line in lines) <= self.inline_limit:
            src: Any = [line.payload[0] for line in lines]
        else:
            data = b"".join(line.payload[1] for line in lines)
            uploaded = await client.aio.files.upload(
                file=io.BytesIO(data),
                config=types.UploadFileConfig(mime_type="jsonl",
                                              display_name=f"vdbench-{lines[0].key[:12]}"))
            src = uploaded.name
        job = await client.aio.batches.create(model=model, src=src, config=config)
        return str(job.name)

    async def poll(self, job_id: str) -> JobStatus:
        return _status(await self.client().aio.batches.get(name=job_id))

    async def cancel(self, job_id: str) -> JobStatus:
        client = self.client()
        await client.aio.batches.cancel(name=job_id)
        return _status(await client.aio.batches.get(name=job_id))

    async def results(self, job_id: str, status: JobStatus, custom_ids: Sequence[str]
                      ) -> dict[str, LineOutcome]:
        dest = getattr(status.raw, "dest", None)
        if dest is None:
            return {}
        responses = list(dest.inlined_responses or [])
        if not responses and dest.file_name:
            data = await self.client().aio.files.download(file=dest.file_name)
            responses = await asyncio.to_thread(_read_file, data)
        outcomes: dict[str, LineOutcome] = {}
        for i, item in enumerate(responses):
            key = (item.metadata or {}).get("key") or (custom_ids[i] if i < len(custom_ids)
                                                       else None)
            if key is not None:
                outcomes[key] = self._outcome(item)
        return outcomes

    def _outcome(self, item: Any) -> LineOutcome:
        from vdbench.llm.gemini_api import parse_response

        if item.error is not None:
            code = item.error.code
            return LineError(BatchLineError(
                f"{item.error.message or 'error'} (code {code})",
                RPC_STATUS.get(code, 500) if isinstance(code, int) else 500))
        if item.response is None:
            return Unanswered("no response in the batch output")
        try:
            return Answered(*parse_response(item.response))
        except Exception as exc:  # noqa: BLE001 - read as a live reply would be
            return LineError(exc)


def _converters() -> Any:
    from google.genai import _common, batches

    if not all(hasattr(batches, name) for name in CONVERTERS):  # pragma: no cover
        raise InputError("--batch with Gemini: this google-genai release lacks the batch "
                         "converters vdbench uses; install a google-genai that has "
                         "google.genai.batches._InlinedRequest_to_mldev")
    return _common, batches


def _file_line(client: Any, inlined: Any, key: str) -> bytes:
    _common, batches = _converters()
    converted = batches._InlinedRequest_to_mldev(client._api_client, inlined)
    converted = _common.encode_unserializable_types(_common.convert_to_dict(converted))
    line = {"key": key, "request": converted["request"]}
    return json.dumps(line, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"


def _read_file(data: bytes) -> list[Any]:
    """A responses file's lines as the InlinedResponse objects an inline job returns."""
    from google.genai import types

    _common, batches = _converters()
    out = []
    for text in data.decode().splitlines():
        if not text.strip():
            continue
        item = json.loads(text)
        raw = {"response": item.get("response"), "error": item.get("error"),
               "metadata": {"key": item["key"]} if "key" in item else None}
        converted = batches._InlinedResponse_from_mldev({k: v for k, v in raw.items() if v})
        out.append(types.InlinedResponse._from_response(response=converted, kwargs={}))
    return out


def _status(job: Any) -> JobStatus:
    state = getattr(job.state, "value", None) or str(job.state)
    responses = list(job.dest.inlined_responses or []) if job.dest is not None else []
    succeeded = sum(r.response is not None and r.error is None for r in responses)
    failed = sum(r.error is not None for r in responses)
    detail = job.error.message if getattr(job, "error", None) is not None else ""
    return JobStatus(state, PHASE.get(state, "pending"), len(responses) or None,
                     succeeded if responses else None, failed if responses else None,
                     detail or "", raw=job)


def client_for(endpoint: str, api_key: str) -> Any:
    from google import genai
    from google.genai import types

    from vdbench.llm.gemini_api import API_VERSION

    return genai.Client(api_key=api_key, http_options=types.HttpOptions(
        base_url=endpoint, api_version=API_VERSION))
