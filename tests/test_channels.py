"""Unit tests for the channel tools (poslib.channels: pooled vectors, rankings, zeroing, permutation) and the
networks that read position only through pooling (poslib.channel_nets: GAPNet, PermuteNet)."""

import pytest
import torch
import torch.nn as nn

from poslib import channel_nets, channels, models


class Planted(nn.Module):
    """A 'network' whose single stage has four channels; only channel 2 depends on where things are (it weighs
    the image by a left-to-right ramp), the others pool to the same value for an image and its mirror."""

    def stages(self, x):
        ramp = torch.linspace(0, 1, x.shape[-1]).view(1, 1, -1)
        grey = x.mean(1)
        return [torch.stack([grey, x[:, 0], grey * ramp, x[:, 1] ** 2], 1)]


def test_a_planted_position_channel_is_ranked_first():
    x = torch.rand(32, 3, 16, 16)
    scores, order = channels.rank_by_flip(Planted(), x)
    assert int(order[0]) == 2
    assert torch.allclose(scores[[0, 1, 3]], torch.zeros(3), atol=1e-6) and scores[2] > 1e-3


def test_signed_ranking_tells_left_from_right():
    x = torch.zeros(8, 3, 16, 16)
    x[..., :, 12:] = 1.0  # something bright on the right
    scores, order = channels.rank_by_flip(Planted(), x, signed=True)
    assert int(order[0]) == 2 and scores[2] > 0  # the ramp channel fires more when it is on the right
    scores, order = channels.rank_by_flip(Planted(), x.flip(-1), signed=True)
    assert int(order[-1]) == 2 and scores[2] < 0


def test_rank_by_pairs_and_pooled_check_their_input():
    x = torch.rand(4, 3, 8, 8)
    with pytest.raises(ValueError, match="same shape"):
        channels.rank_by_pairs(Planted(), x, x[:2])
    with pytest.raises(TypeError, match="stages"):
        channels.pooled(nn.Conv2d(3, 4, 3), x)
    with pytest.raises(ValueError, match="batch"):
        channels.pooled(Planted(), x[0])
    assert channels.pooled(Planted(), x).shape == (4, 4)


def test_zeroed_switches_channels_off_and_restores_the_network():
    torch.manual_seed(0)
    conv = nn.Conv2d(3, 6, 3, padding=1)
    x = torch.rand(2, 3, 8, 8)
    before = conv(x)
    with channels.zeroed(conv, [1, 4]):
        inside = conv(x)
    after = conv(x)
    assert (inside[:, [1, 4]] == 0).all()
    assert torch.equal(inside[:, [0, 2, 3, 5]], before[:, [0, 2, 3, 5]])
    assert torch.equal(after, before) and not conv._forward_hooks
    with pytest.raises(ValueError, match="0..5"):
        with channels.zeroed(conv, [6]):
            conv(x)
    assert not conv._forward_hooks  # removed even when the forward pass failed


def test_random_channels_are_distinct_and_seeded():
    draws = channels.random_channels(10, 4, 20, seed=3)
    assert draws.shape == (20, 4)
    assert all(len(set(row.tolist())) == 4 for row in draws)
    assert torch.equal(draws, channels.random_channels(10, 4, 20, seed=3))
    with pytest.raises(ValueError, match="distinct"):
        channels.random_channels(3, 4, 1)


def test_sorting_and_permuting_keep_the_values_not_their_channels():
    v = torch.tensor([[3.0, 1.0, 2.0]])
    assert channels.sort_channels(v).tolist() == [[1.0, 2.0, 3.0]]
    perm = channels.ChannelPermutation(seed=0)
    outs = [perm(torch.arange(8.0).view(1, 8)) for _ in range(5)]
    assert all(sorted(o[0].tolist()) == list(range(8)) for o in outs)
    assert len({tuple(o[0].tolist()) for o in outs}) > 1  # a fresh permutation on every pass


# ------------------------------------------------------------------------------------- GAPNet, PermuteNet


def test_gapnet_pools_class_maps_into_logits():
    torch.manual_seed(0)
    net = channel_nets.GAPNet(models.build("resnet", "zeros", (8, 16), (1, 1)), 9, "zeros").eval()
    x = torch.rand(2, 3, 24, 24)
    assert net(x).shape == (2, 9)
    # the logits are the class maps' global averages: no linear layer after the pooling
    assert torch.allclose(net(x), net.pre_classifier(net.stages(x)[-1]).mean((2, 3)))


def test_circular_gapnet_cannot_tell_circular_shifts_apart():
    torch.manual_seed(0)
    net = channel_nets.GAPNet(models.build("vgg", "circular", (8, 16), (1, 1)), 9, "circular").eval()
    x = torch.rand(2, 3, 24, 24)
    assert torch.allclose(net(x), net(torch.roll(x, (2, 4), (2, 3))), atol=1e-5)  # shifts by the stride


def test_permutenet_draws_a_new_order_every_pass():
    torch.manual_seed(0)
    net = channel_nets.PermuteNet(models.build("vgg", "zeros", (8, 16), (1, 1)), 4, seed=1).eval()
    x = torch.rand(1, 3, 16, 16)
    outs = [net(x) for _ in range(6)]
    assert len({tuple(o[0].round(decimals=5).tolist()) for o in outs}) > 1
    staged = channel_nets.PermuteNet(models.build("resnet", "zeros", (8, 16), (1, 1)), 4, at=1, seed=1).eval()
    assert staged(x).shape == (1, 4)
    with pytest.raises(ValueError, match="stage index"):
        channel_nets.PermuteNet(models.build("vgg", "zeros", (8, 16), (1, 1)), 4, at=2)
    with pytest.raises(TypeError, match="stage list"):
        channel_nets.GAPNet(nn.Conv2d(3, 8, 3), 9, "zeros")
