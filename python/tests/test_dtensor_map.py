"""The local-shard index lists (nninit._dtensor) against torch's own DTensor code, without a
process group: torch's `_compute_local_shape_and_global_offset` (local shape and offset) and
its placements' `_split_tensor` applied left to right to an index tensor (the full lists),
which is how `distribute_tensor` cuts the global tensor."""

import itertools

import numpy as np
import pytest
import torch
from torch.distributed.tensor import Partial, Replicate, Shard
from torch.distributed.tensor._utils import _compute_local_shape_and_global_offset
from torch.distributed.tensor.placement_types import _StridedShard

from nninit._dtensor import local_indices, local_shape_and_offset

SHAPES = [(3, 7), (8, 8), (5, 1), (0, 4), (7, 0), (10, 3), (13, 6), (2, 9, 4), (1, 1)]
MESHES = [(1,), (2,), (3,), (4,), (2, 2), (2, 3), (4, 2), (3, 1, 2)]


def placement_choices(ndim):
    ps = [Replicate()]
    for d in range(ndim):
        ps.append(Shard(d))
        ps += [_StridedShard(d, split_factor=s) for s in (2, 3)]
    return ps


def torch_split(global_shape, mesh_shape, coord, placements):
    """The local shard of arange(numel).view(shape), cut by torch's own _split_tensor."""
    t = torch.arange(int(np.prod(global_shape)), dtype=torch.int64).view(global_shape)
    for mesh_dim, p in enumerate(placements):
        if isinstance(p, Replicate):
            continue
        shards, _ = p._split_tensor(t, mesh_shape[mesh_dim], with_padding=False)
        t = shards[coord[mesh_dim]]
    return t


def cases():
    out = []
    for shape in SHAPES:
        for mesh in MESHES:
            choices = placement_choices(len(shape))
            combos = list(itertools.product(choices, repeat=len(mesh)))
            # every combination for small meshes, a fixed stride through the rest
            step = max(1, len(combos) // 30)
            out += [(shape, mesh, c) for c in combos[::step]]
    return out


CASES = cases()


def test_case_count():
    assert len(CASES) > 1000


@pytest.mark.parametrize("chunk", range(8))
def test_matches_torch(chunk):
    checked = 0
    for shape, mesh, placements in CASES[chunk::8]:
        full = torch.arange(int(np.prod(shape)), dtype=torch.int64).view(shape)
        for coord in itertools.product(*(range(n) for n in mesh)):
            idx = local_indices(shape, mesh, coord, placements)
            local = tuple(len(ix) for ix in idx)
            # 1. torch's split of the index tensor: the same elements in the same order
            want = torch_split(shape, mesh, coord, placements)
            assert tuple(want.shape) == local, (shape, mesh, placements, coord)
            if want.numel():
                got = full[np.ix_(*[list(ix) for ix in idx])]
                assert torch.equal(got, want), (shape, mesh, placements, coord)
            # 2. torch's compute_local_shape_and_global_offset
            tshape, toff = _compute_local_shape_and_global_offset(shape, mesh, list(coord), placements)
            assert local_shape_and_offset(shape, mesh, coord, placements)[0] == tuple(tshape)
            if all(local):
                assert local_shape_and_offset(shape, mesh, coord, placements)[1] == tuple(toff)
            checked += 1
    assert checked > 100


def test_doc_example_and_uneven():
    # Shard(1) of 3x7 on 4 ranks: columns 2,2,2,1
    sizes = [len(local_indices((3, 7), (4,), (r,), [Shard(1)])[1]) for r in range(4)]
    assert sizes == [2, 2, 2, 1]
    # 5 rows on 4 ranks: torch.chunk gives 2,2,1,0 (an empty last shard)
    rows = [list(local_indices((5, 2), (4,), (r,), [Shard(0)])[0]) for r in range(4)]
    assert rows == [[0, 1], [2, 3], [4], []]
    # FSDP2 x TP on dim 0: _StridedShard(0, 2) then Shard(0), the docstring's table
    got = [list(local_indices((8, 8), (2, 2), c, [_StridedShard(0, split_factor=2), Shard(0)])[0])
           for c in [(0, 0), (0, 1), (1, 0), (1, 1)]]
    assert got == [[0, 1], [4, 5], [2, 3], [6, 7]]


def test_unsupported_placements():
    with pytest.raises(ValueError, match="Partial"):
        local_indices((4, 4), (2,), (0,), [Partial()])
    with pytest.raises(ValueError, match="shards dim 2"):
        local_indices((4, 4), (2,), (0,), [Shard(2)])
    with pytest.raises(ValueError, match="one entry per mesh dimension"):
        local_indices((4, 4), (2, 2), (0,), [Shard(0)])
