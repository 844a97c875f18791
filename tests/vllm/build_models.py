"""Build the tiny, randomly initialised open models that the real-vLLM tier serves.

Each model has the real architecture and processor classes of a catalog entry (Qwen2-VL for
`qwen2-vl-7b`, llava-onevision for `llava-video-7b`) with the vision geometry that decides
how many tokens a frame costs (patch size, spatial merge, temporal patch, image size), but a
few small layers and a byte-level BPE tokenizer trained here on a few sentences, so nothing
is downloaded. The weights are random: the models answer gibberish.

Run with the vLLM test venv's Python: `python build_models.py OUT_DIR`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

QWEN_SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|vision_start|>",
                 "<|vision_end|>", "<|image_pad|>", "<|video_pad|>"]
LLAVA_SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<image>", "<video>"]

# One template for both: a Qwen-style conversation whose content parts are text, images and
# videos in the order they were sent.
CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for part in message['content'] %}"
    "{% if part['type'] == 'text' %}{{ part['text'] }}"
    "{% elif part['type'] == 'image' or part['type'] == 'image_url' %}IMAGE_PLACEHOLDER"
    "{% elif part['type'] == 'video' or part['type'] == 'video_url' %}VIDEO_PLACEHOLDER"
    "{% endif %}{% endfor %}{% endif %}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

CORPUS = [
    "Two videos show the same action performed by two people.",
    "Which video shows a deeper squat, a faster swing, a higher jump or a wider stance?",
    "Answer with a JSON object whose keys are the differences and whose values are a or b.",
    "The first video is video a and the second video is video b.",
    "The knees bend more, the arms stay straight, the ball leaves the hand earlier.",
    "List the differences between the two performances and say which video shows more.",
    "{ } [ ] : , \" 0 1 2 3 4 5 6 7 8 9 a b c",
]


def train_tokenizer(specials: list[str], chat_template: str):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=600, special_tokens=specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(CORPUS * 20, trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>",
        chat_template=chat_template, model_max_length=32768)


def _text_config(vocab: int, eos: int) -> dict:
    # Head dimension 64: vLLM's CPU attention kernels refuse smaller ones.
    return dict(vocab_size=vocab, hidden_size=128, intermediate_size=256,
                num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=2,
                max_position_embeddings=32768, eos_token_id=eos, bos_token_id=eos,
                tie_word_embeddings=False)


def build_qwen2_vl(out: Path) -> None:
    import torch
    from transformers import (
        Qwen2VLConfig,
        Qwen2VLForConditionalGeneration,
        Qwen2VLImageProcessor,
        Qwen2VLProcessor,
    )
    from transformers.models.qwen2_vl.video_processing_qwen2_vl import Qwen2VLVideoProcessor

    template = CHAT_TEMPLATE.replace(
        "IMAGE_PLACEHOLDER", "<|vision_start|><|image_pad|><|vision_end|>").replace(
        "VIDEO_PLACEHOLDER", "<|vision_start|><|video_pad|><|vision_end|>")
    tokenizer = train_tokenizer(QWEN_SPECIALS, template)
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in QWEN_SPECIALS}
    text = _text_config(len(tokenizer), ids["<|im_end|>"])
    config = Qwen2VLConfig(
        text_config={**text, "rope_scaling": {"type": "mrope", "mrope_section": [8, 12, 12]}},
        vision_config=dict(depth=1, embed_dim=64, hidden_size=text["hidden_size"], num_heads=1,
                           mlp_ratio=2, patch_size=14, spatial_merge_size=2,
                           temporal_patch_size=2, in_channels=3),
        image_token_id=ids["<|image_pad|>"], video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
        eos_token_id=ids["<|im_end|>"])
    config.architectures = ["Qwen2VLForConditionalGeneration"]
    torch.manual_seed(0)
    model = Qwen2VLForConditionalGeneration(config).to(torch.bfloat16)
    model.save_pretrained(out)
    processor = Qwen2VLProcessor(image_processor=Qwen2VLImageProcessor(),
                                 video_processor=Qwen2VLVideoProcessor(),
                                 tokenizer=tokenizer, chat_template=template)
    processor.save_pretrained(out)


def build_llava_onevision(out: Path) -> None:
    import torch
    from transformers import (
        LlavaOnevisionConfig,
        LlavaOnevisionForConditionalGeneration,
        LlavaOnevisionImageProcessor,
        LlavaOnevisionProcessor,
        LlavaOnevisionVideoProcessor,
    )

    template = CHAT_TEMPLATE.replace("IMAGE_PLACEHOLDER", "<image>").replace(
        "VIDEO_PLACEHOLDER", "<video>")
    tokenizer = train_tokenizer(LLAVA_SPECIALS, template)
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in LLAVA_SPECIALS}
    text = _text_config(len(tokenizer), ids["<|im_end|>"])
    # SigLIP at LLaVA-Video's geometry: 384 px, 14 px patches (27 x 27 a frame, pooled 2x2).
    config = LlavaOnevisionConfig(
        text_config={"model_type": "qwen2", **text},
        vision_config=dict(model_type="siglip_vision_model", hidden_size=64,
                           intermediate_size=128, num_hidden_layers=1, num_attention_heads=1,
                           image_size=384, patch_size=14, vision_use_head=False),
        image_token_index=ids["<image>"], video_token_index=ids["<video>"],
        vision_feature_select_strategy="full", vision_feature_layer=-1,
        vision_aspect_ratio="anyres_max_9")
    config.architectures = ["LlavaOnevisionForConditionalGeneration"]
    torch.manual_seed(0)
    model = LlavaOnevisionForConditionalGeneration(config).to(torch.bfloat16)
    model.save_pretrained(out)
    _nest_vision_tower(out / "model.safetensors")
    tokenizer.add_special_tokens({"additional_special_tokens": ["<image>", "<video>"]})
    processor = LlavaOnevisionProcessor(
        image_processor=LlavaOnevisionImageProcessor(), tokenizer=tokenizer,
        video_processor=LlavaOnevisionVideoProcessor(), chat_template=template,
        num_image_tokens=729, vision_feature_select_strategy="full")
    processor.save_pretrained(out)


def _nest_vision_tower(path: Path) -> None:
    """Name the SigLIP weights as published llava-onevision checkpoints do
    (`vision_tower.vision_model.*`), the layout vLLM loads; transformers 5 saves them flat."""
    from safetensors.torch import load_file, save_file

    tensors = load_file(path)
    prefix, nested = "vision_tower.", "vision_tower.vision_model."
    renamed = {(nested + k[len(prefix):] if k.startswith(prefix) and not k.startswith(nested)
                else k): v for k, v in tensors.items()}
    save_file(renamed, path, metadata={"format": "pt"})


BUILDERS = {"qwen2-vl": build_qwen2_vl, "llava-onevision": build_llava_onevision}


def main(out_dir: str) -> None:
    root = Path(out_dir)
    for name, build in BUILDERS.items():
        folder = root / name
        if (folder / "built.json").exists():
            continue
        folder.mkdir(parents=True, exist_ok=True)
        build(folder)
        (folder / "built.json").write_text(json.dumps({"model": name}))
        print(f"built {folder}")


if __name__ == "__main__":
    main(sys.argv[1])
