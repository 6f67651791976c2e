"""Fixtures of the ML engine tests: tiny config-built models and the shared review data.

Tiny models are built from a config with seeded random weights and saved like any
`save_pretrained` directory, so the real loading code runs without downloading anything.
They reuse the packaged MiniLM tokenizer's vocabulary.
"""

import os
import random
import shutil
from pathlib import Path

import pytest
import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO_ROOT = Path(__file__).resolve().parents[3]
REVIEWS_FILE = "womens_clothing_reviews/Womens_Clothing_E-Commerce_Reviews.csv"


def shared_data_dir() -> Path:
    """$SHARED_DATA_DIR, else the shared/data folder beside the repository."""
    return Path(os.environ.get("SHARED_DATA_DIR", REPO_ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def clothing_reviews_csv() -> Path:
    path = shared_data_dir() / REVIEWS_FILE
    if not path.is_file():
        pytest.skip(f"Women's clothing reviews not found at {path} (set SHARED_DATA_DIR).")
    return path


def _packaged_tokenizer():
    from transformers import AutoTokenizer

    from ml.training.loading import default_encoder_path

    return AutoTokenizer.from_pretrained(default_encoder_path(), local_files_only=True)


def build_tiny_bert(directory: Path, seed: int = 0) -> Path:
    """A 2-layer, 32-wide BERT encoder with the MiniLM vocabulary, saved to `directory`."""
    from transformers import BertConfig, BertModel

    tokenizer = _packaged_tokenizer()
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=160,
    )
    torch.manual_seed(seed)
    BertModel(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def build_tiny_causal_lm(directory: Path, seed: int = 0) -> Path:
    """A 2-layer, 64-wide Llama with a word-piece tokenizer that adds only a BOS token."""
    from tokenizers import Tokenizer
    from tokenizers.processors import TemplateProcessing
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    from ml.training.loading import default_encoder_path

    backend = Tokenizer.from_file(str(default_encoder_path() / "tokenizer.json"))
    backend.no_padding()
    backend.no_truncation()
    bos_id = backend.token_to_id("[CLS]")
    backend.post_processor = TemplateProcessing(
        single="[CLS] $A", pair="[CLS] $A $B", special_tokens=[("[CLS]", bos_id)]
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        bos_token="[CLS]",
        eos_token="[SEP]",
        pad_token="[PAD]",
        unk_token="[UNK]",
    )
    config = LlamaConfig(
        vocab_size=backend.get_vocab_size(),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        bos_token_id=bos_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=True,
    )
    torch.manual_seed(seed)
    LlamaForCausalLM(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


@pytest.fixture(scope="session")
def tiny_bert_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_bert(tmp_path_factory.mktemp("tiny-bert"))


@pytest.fixture(scope="session")
def tiny_causal_lm_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_causal_lm(tmp_path_factory.mktemp("tiny-llama"))


@pytest.fixture(scope="session")
def packaged_generator_cache(tmp_path_factory):
    """A fresh cache holding the packaged Gemma GGUF converted to safetensors (about 1 GB)."""
    cache = tmp_path_factory.mktemp("generator-cache")
    from ml.training.loading import generator_prepare

    yield cache, generator_prepare(None, cache)
    shutil.rmtree(cache, ignore_errors=True)


@pytest.fixture(scope="session")
def sentiment_run(clothing_reviews_csv, tmp_path_factory):
    """The packaged encoder fine-tuned on 600 real reviews: 300 rated 4-5, 300 rated 1-2."""
    from ml.training.classification import ClassifierTrainConfig, train_classifier
    from ml.training.data import read_rated_reviews, sentiment_from_rating

    reviews = [r for r in read_rated_reviews(clothing_reviews_csv) if r.rating != 3]
    rng = random.Random(0)
    positive = rng.sample([r for r in reviews if r.rating >= 4], 300)
    negative = rng.sample([r for r in reviews if r.rating <= 2], 300)
    rows = positive + negative
    config = ClassifierTrainConfig(epochs=1, batch_size=16, lr=2e-4, device="cpu", seed=0)
    output = tmp_path_factory.mktemp("sentiment") / "model"
    return train_classifier(
        [r.text for r in rows],
        [sentiment_from_rating(r.rating) for r in rows],
        config,
        None,
        output,
    )
