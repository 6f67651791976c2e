"""The Django-free ML engine: loading, fine-tuning, batch inference, metrics.

Nothing here imports Django, so it runs on a bare GPU machine and is tested on its own.

- devices: "auto"/"cpu"/"cuda[:N]" resolution, autocast dtype, CPU thread count
- loading: encoder and generator sources (packaged, local dir, cached hub id), the one-time
  GGUF -> safetensors conversion of the packaged generator; checksums: artifact sha256
- data: label encoding, stratified splits, class weights, the review CSV reader
- batching: one-call tokenisation, length-bucketed batches, per-batch padding
- metrics: accuracy, macro-F1, per-class scores, confusion matrix, perplexity
- classification: train_classifier (fine-tuning with early stopping)
- inference: EncoderEngine (embed / classify), GeneratorEngine (sampling, stop strings)
- quantization, first_token: the CPU speed-ups EncoderEngine uses
- lora: LoRA fine-tuning of the generator on prompt/completion pairs
- reproducibility: seeded, deterministic sections
"""
