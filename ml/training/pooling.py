"""A text classifier that reads the mean of the encoder's token vectors, not its first token.

all-MiniLM-L6-v2 (and every sentence-transformers encoder) was trained so that the mean of its
last-layer token vectors is the sentence's meaning; its [CLS] position and pooler were never
trained for that. Hugging Face's `*ForSequenceClassification` heads read [CLS] through the
pooler, so a fine-tune starts from a vector that says little and has to re-learn it. With the
mean instead, the head starts from the sentence embedding and the encoder only has to adjust
it. Measured on a 3,000-row BANKING77 slice (77 intents, 1,500 test rows, same loop): 0.664
accuracy after one epoch with the mean at lr 1e-4; with [CLS], 0.399 after one epoch and 0.577
after three at lr 1e-4, 0.380 and 0.464 after four at 5e-5.

The model is a plain module around `AutoModel`:

    logits = W · dropout(sum_t(mask_t * h_t) / sum_t(mask_t)) + b

saved as a `save_pretrained` directory of the encoder (config.json carries
`classifier_pooling: "mean"`, `num_labels` and `id2label`) plus the head in
`classifier_head.safetensors`, so it loads with safetensors only, like every other model here.
`model.base_model` is the encoder, which is what quantisation and `EncoderEngine.embed` use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

HEAD_FILE = "classifier_head.safetensors"
POOLING_KEY = "classifier_pooling"
MEAN = "mean"
FIRST_TOKEN = "first_token"  # noqa: S105 (a pooling name, not a secret)
POOLINGS = (MEAN, FIRST_TOKEN)


class MeanPooledClassifier(torch.nn.Module):
    """Encoder, masked mean over tokens, dropout, one Linear layer; outputs `.logits`."""

    def __init__(self, encoder: Any, num_labels: int) -> None:
        super().__init__()
        self.encoder = encoder
        self.config = encoder.config
        self.config.num_labels = num_labels
        setattr(self.config, POOLING_KEY, MEAN)
        hidden = int(self.config.hidden_size)
        self.dropout = torch.nn.Dropout(float(getattr(self.config, "hidden_dropout_prob", 0.1)))
        self.classifier = torch.nn.Linear(hidden, num_labels)
        # The initialisation Hugging Face gives a fresh classification head.
        std = float(getattr(self.config, "initializer_range", 0.02))
        with torch.no_grad():
            self.classifier.weight.normal_(0.0, std)
            self.classifier.bias.zero_()

    @property
    def base_model(self) -> Any:
        return self.encoder

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        **kwargs: Any,
    ) -> Any:
        from transformers.modeling_outputs import SequenceClassifierOutput

        pooled = self.pooled(input_ids, attention_mask, **kwargs)
        return SequenceClassifierOutput(logits=self.classifier(self.dropout(pooled)))

    def pooled(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        **kwargs: Any,
    ) -> torch.Tensor:
        """The vector the head reads: the mean of the last layer over the real tokens."""
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        hidden = self.encoder(
            input_ids=input_ids, attention_mask=attention_mask, **kwargs
        ).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)

    def save_pretrained(self, directory: str | Path, **kwargs: Any) -> None:
        from safetensors.torch import save_file

        out = Path(directory)
        self.encoder.save_pretrained(out, **kwargs)
        head = {
            name: tensor.detach().contiguous().cpu()
            for name, tensor in self.classifier.state_dict().items()
        }
        save_file(head, str(out / HEAD_FILE))


def stored_pooling(config: Any) -> str | None:
    """ "mean" for a saved MeanPooledClassifier, else None."""
    return MEAN if getattr(config, POOLING_KEY, None) == MEAN else None


def load_head(model: MeanPooledClassifier, directory: str | Path) -> bool:
    """Load a saved head into `model` when it has the same shape; return whether it did."""
    from safetensors.torch import load_file

    path = Path(directory) / HEAD_FILE
    if not path.is_file():
        return False
    head = load_file(str(path))
    expected = {k: v.shape for k, v in model.classifier.state_dict().items()}
    if {k: v.shape for k, v in head.items()} != expected:
        return False
    model.classifier.load_state_dict(head)
    return True
