"""nninit: neural-network weight initialisation, PyTorch-exact or layout-invariant.

``import nninit.torch`` for the ``torch.nn.init`` mirror (needs only torch):

- without ``seed``: PyTorch's own values, bit for bit (a drop-in);
- with ``seed=S, name=NAME``: counter-based Philox values keyed by ``(S, NAME)``, the same for
  any thread count, device or DTensor sharding, and equal to
  ``nninit fill --rng philox --seed S --name NAME``;
- ``init_module(model, init, seed=S)``: every parameter keyed by its name; ``init`` may be a
  transformer recipe name (``"gpt2"``, ``"llama"``, ``"torchtitan-llama3"``, ...).

This module itself needs nothing but the native extension.
"""

from ._nninit import __version__, canonical_init, check_init, kernel_name, stream_id

__all__ = ["__version__", "canonical_init", "check_init", "kernel_name", "stream_id"]
