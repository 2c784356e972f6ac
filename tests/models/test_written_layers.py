import torch

from zoo.models.layers import WrittenBatchNorm1d, WrittenDropout


def test_written_batch_norm_equals_torch_in_train_and_eval_modes():
    torch.manual_seed(0)
    ours, theirs = WrittenBatchNorm1d(4, momentum=0.2), torch.nn.BatchNorm1d(4, momentum=0.2)
    with torch.no_grad():
        for module in (ours, theirs):
            module.weight.copy_(torch.tensor([1.0, 2.0, 0.5, -1.0]))
            module.bias.copy_(torch.tensor([0.0, 1.0, -1.0, 2.0]))
    for _ in range(3):
        x = torch.randn(16, 4) * 3 + 1
        torch.testing.assert_close(ours(x), theirs(x), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(ours.running_mean, theirs.running_mean)
    torch.testing.assert_close(ours.running_var, theirs.running_var)
    ours.eval()
    theirs.eval()
    x = torch.randn(5, 4)
    torch.testing.assert_close(ours(x), theirs(x), atol=1e-6, rtol=1e-5)
    assert set(ours.state_dict()) == set(theirs.state_dict())


def test_written_dropout_equals_torch_for_the_same_random_state_and_is_identity_in_eval():
    x = torch.randn(1000)
    ours, theirs = WrittenDropout(0.3), torch.nn.Dropout(0.3)
    torch.manual_seed(5)
    a = ours(x)
    torch.manual_seed(5)
    b = theirs(x)
    torch.testing.assert_close(a, b)
    assert 0.25 < (a == 0).float().mean() < 0.35
    ours.eval()
    assert torch.equal(ours(x), x)
