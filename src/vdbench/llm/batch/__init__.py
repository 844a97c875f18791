"""Batch mode (--batch): requests that miss the response cache travel as Batch API jobs
(OpenAI, Anthropic, Gemini) at half the live price, instead of live calls.

types.py (settings, events, outcomes), store.py (the job table, CACHE_DIR/batches.sqlite),
base.py (what a provider's backend offers), openai_batch.py, anthropic_batch.py,
gemini_batch.py (one per SDK, imported when used), collector.py (queue, submit, poll,
deliver; used by vdbench.llm.runtime.Runtime), manage.py (list and cancel jobs: `vdbench
batches`).
"""
