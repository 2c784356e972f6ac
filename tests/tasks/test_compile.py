import torch

from zoo.checkpoint import load_checkpoint, task_from_checkpoint
from zoo.tasks import Classifier


def test_compiled_and_uncompiled_checkpoints_are_interchangeable(train_run):
    summary = train_run(
        ["experiment=lenet5_digits", "model.compile=true", "trainer.max_epochs=1", "test=false"]
    )
    checkpoint = load_checkpoint(summary["last_checkpoint"])
    assert not any("_orig_mod" in key for key in checkpoint["state_dict"])
    compiled = task_from_checkpoint(checkpoint)  # rebuilt compiled, as trained
    assert compiled.hparams.compile is True
    plain = Classifier(**{**checkpoint["hyper_parameters"], "compile": False})
    plain.load_state_dict(checkpoint["state_dict"])
    x = torch.randn(3, 1, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(plain.eval()(x), compiled.eval()(x), atol=1e-5, rtol=1e-5)
    # and the other way round: uncompiled weights load into a compiled task
    recompiled = Classifier(**{**checkpoint["hyper_parameters"], "compile": True})
    recompiled.load_state_dict(plain.state_dict())


def test_channels_last_keeps_the_numbers():
    torch.manual_seed(0)
    spec = {"_target_": "zoo.models.resnet.CifarResNet", "depth": 8, "in_channels": 3}
    dense = Classifier(spec, num_classes=10).eval()
    nhwc = Classifier(spec, num_classes=10, channels_last=True).eval()
    nhwc.load_state_dict(dense.state_dict())
    assert nhwc.net.stem[0].weight.is_contiguous(memory_format=torch.channels_last)
    x = torch.randn(2, 3, 16, 16)
    torch.testing.assert_close(nhwc(x), dense(x), atol=1e-5, rtol=1e-4)
