"""Where a DTensor's local shard sits in the global tensor, as per-dimension index lists.

A DTensor on a ``DeviceMesh`` with one placement per mesh dimension holds, on each rank, the
sub-block of the global tensor whose indices along dim ``d`` are ``index[d]`` (a list of global
indices, in local order). Placements act on dimensions independently, so the block is the
outer product of the per-dimension lists, and a counter-based fill of the block (each element a
pure function of its global row-major index) gives every rank exactly the values the full
tensor has there.

Placements are applied left to right over the mesh dimensions, each splitting the current
index list of its tensor dimension, as ``torch.distributed.tensor`` does
(``_utils._compute_local_shape_and_global_offset``, ``Shard._split_tensor``,
``_StridedShard._split_tensor``; torch 2.15):

- ``Shard(d)``: ``torch.chunk`` semantics: chunks of ``ceil(n / k)``, the last ones shorter or
  empty (uneven and empty shards).
- ``_StridedShard(d, split_factor=s)`` (FSDP2 on top of TP on the same dim): split into ``s``
  chunks, split each of those into ``k`` chunks, and rank ``r`` takes the concatenation of the
  ``r``-th piece of every chunk.
- ``Replicate()``: unchanged.
- ``Partial`` (a rank holds an addend, not values) cannot be filled: ``ValueError``.

The functions here take plain data (shape, mesh shape, coordinate, placements) so that they
can be tested without a process group.
"""

from __future__ import annotations

from collections.abc import Sequence


def _chunk(seq: Sequence[int], k: int, r: int) -> Sequence[int]:
    """Piece ``r`` of ``seq`` split into ``k`` pieces as ``torch.chunk`` does (chunks of
    ``ceil(n / k)``; trailing pieces shorter or empty)."""
    n = len(seq)
    size = -(-n // k) if k > 0 else n
    start, end = min(size * r, n), min(size * (r + 1), n)
    return seq[start:end]


def _placement_kind(p) -> str:
    """``shard``, ``strided``, ``replicate``, ``partial`` or ``other``, by class name (so that
    this module needs torch only for its types, and works across torch versions)."""
    name = type(p).__name__
    if name == "_StridedShard":
        return "strided"
    if name == "Shard":
        return "shard"
    if name == "Replicate":
        return "replicate"
    if "Partial" in name:
        return "partial"
    return "other"


def local_indices(
    global_shape: Sequence[int],
    mesh_shape: Sequence[int],
    coordinate: Sequence[int],
    placements: Sequence[object],
) -> list[Sequence[int]]:
    """The global indices, per tensor dimension, of the local shard at mesh ``coordinate``.

    Args:
        global_shape: the DTensor's global shape.
        mesh_shape: the device mesh's shape (one size per mesh dimension).
        coordinate: this rank's coordinate in the mesh (``mesh.get_coordinate()``).
        placements: one ``Shard``/``_StridedShard``/``Replicate`` per mesh dimension.

    Returns:
        one sequence per tensor dimension (a ``range`` where the indices are consecutive);
        ``len(result[d])`` is the local size of dim ``d``.

    Raises:
        ValueError: a ``Partial`` or unknown placement, a shard dim out of range, or mesh
            shape, coordinate and placements of different lengths.

    Example:
        >>> from torch.distributed.tensor import Shard
        >>> [list(ix) for ix in local_indices((3, 7), (4,), (3,), [Shard(1)])]
        [[0, 1, 2], [6]]
    """
    if not (len(mesh_shape) == len(coordinate) == len(placements)):
        raise ValueError(
            f"mesh shape {tuple(mesh_shape)}, coordinate {tuple(coordinate)} and placements "
            f"{tuple(placements)} must have one entry per mesh dimension"
        )
    index: list[Sequence[int]] = [range(int(n)) for n in global_shape]
    ndim = len(index)
    for mesh_dim, p in enumerate(placements):
        kind = _placement_kind(p)
        if kind == "replicate":
            continue
        if kind == "partial":
            raise ValueError(
                f"placement {p} on mesh dim {mesh_dim} is not supported: a Partial DTensor "
                "holds addends, not values (redistribute it to Shard or Replicate first)"
            )
        if kind == "other":
            raise ValueError(
                f"placement {p!r} on mesh dim {mesh_dim} is not supported; nninit fills "
                "Shard, _StridedShard and Replicate placements"
            )
        d = int(p.dim)
        if d < 0:
            d += ndim
        if not 0 <= d < ndim:
            raise ValueError(
                f"placement {p} on mesh dim {mesh_dim} shards dim {p.dim} of a {ndim}-d tensor"
            )
        k, r = int(mesh_shape[mesh_dim]), int(coordinate[mesh_dim])
        if kind == "shard":
            index[d] = _chunk(index[d], k, r)
        else:
            sf = int(p.split_factor)
            pieces = [_chunk(index[d], sf, j) for j in range(sf)]
            merged: list[int] = []
            for piece in pieces:
                merged.extend(_chunk(piece, k, r))
            index[d] = merged
    return index


def local_shape_and_offset(
    global_shape: Sequence[int],
    mesh_shape: Sequence[int],
    coordinate: Sequence[int],
    placements: Sequence[object],
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """``(local_shape, global_offset)`` as torch's ``compute_local_shape_and_global_offset``
    reports them (offset = first global index per dim; for an empty shard torch reports the
    global size of that dim)."""
    index = local_indices(global_shape, mesh_shape, coordinate, placements)
    shape = tuple(len(ix) for ix in index)
    offset = tuple(ix[0] if len(ix) else int(n) for ix, n in zip(index, global_shape))
    return shape, offset
