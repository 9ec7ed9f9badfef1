"""Model: the Keras Conv1D tagger, how it is trained, served and exported.

- `network`: the hyperparameters (`HParams`) and the functional Keras model, tokens in and tag
  probabilities out, with the vocabulary inside it (a `StringLookup` first layer): training,
  serving and the SavedModel export map tokens to ids with that one layer.
- `training`: the one training loop (`fit`, over a `tf.data` dataset) and what surrounds it:
  vocabulary, targets, threshold, metadata, the comparison with the baseline (`run_experiment`).
- `predictor`: `Tagger`, a saved model plus its metadata: load, save (atomic), suggest.
- `streaming`: training from a file too large for memory, through the same loop.
- `distributed`: training on several local worker processes (MultiWorkerMirroredStrategy), through
  the same loop: the data prepared once, `cluster` (the launcher: ports, TF_CONFIG, a watchdog; no
  TensorFlow) and `distributed_worker` (one worker process).
- `export`: a TensorFlow SavedModel for TensorFlow Serving.

May import `tagger.core`, `tagger.text`, `tagger.data` and `tagger.scoring`. Never Streamlit.
"""
