import math
from collections import Counter

import torch

from zoo.data.text import LanguageModelDataModule
from zoo.models.language import RNNLanguageModel, WindowLanguageModel
from zoo.tasks import LanguageModel

LSTM = {"_target_": "zoo.models.language.RNNLanguageModel", "mode": "lstm", "embed_dim": 8, "hidden": 8}


def test_lstm_language_model_reaches_the_grammars_entropy(train_run):
    summary = train_run(["model=lstm_lm", "data=grammar", "optimizer.lr=0.005", "trainer.max_epochs=8"])
    dm = LanguageModelDataModule("grammar", seed=42)  # the run's seed: the same corpus
    dm.setup()
    ratio = summary["test"]["test/loss"] / dm.true_cross_entropy["test"]
    assert ratio <= 1.1, ratio


def test_window_model_beats_a_unigram_model(train_run):
    summary = train_run(["model=window_lm", "data=grammar", "optimizer.lr=0.005", "trainer.max_epochs=4"])
    dm = LanguageModelDataModule("grammar", seed=42)
    dm.setup()
    counts = Counter(dm.datasets["train"].data.flatten().tolist())
    total = sum(counts.values())
    test_tokens = dm.datasets["test"].data[:, 1:].flatten().tolist()
    unigram = -sum(math.log(counts[t] / total) for t in test_tokens) / len(test_tokens)
    assert summary["test"]["test/loss"] < unigram - 0.5, (summary["test"]["test/loss"], unigram)


def test_truncated_bptt_carries_the_state_but_no_gradient_across_batches():
    torch.manual_seed(0)
    task = LanguageModel(LSTM, vocab_size=20)
    tokens = torch.randint(0, 20, (2, 12))
    first, second = (tokens[:, :6], tokens[:, 1:7]), (tokens[:, 6:11], tokens[:, 7:12])
    task.loss_and_outputs(first, "train")
    carried = task.carried["train"]
    assert all(part.grad_fn is None and not part.requires_grad for part in carried)  # cut at the boundary
    loss_second, _, _ = task.loss_and_outputs(second, "train")
    full, _ = task(tokens[:, :11])
    reread = torch.nn.functional.cross_entropy(full[:, 6:11].flatten(0, 1), tokens[:, 7:12].flatten())
    torch.testing.assert_close(loss_second, reread, atol=1e-5, rtol=0)  # the state was carried
    # the gradient of the second batch's loss reaches no embedding row used only in the first batch
    task.zero_grad()
    embedding = task.net.embedding
    loss, _, _ = task.loss_and_outputs(second, "val")
    task.carried["val"] = carried
    loss, _, _ = task.loss_and_outputs(second, "val")
    loss.backward()
    only_first = set(tokens[:, :6].flatten().tolist()) - set(tokens[:, 6:11].flatten().tolist())
    assert all(embedding.weight.grad[t].abs().sum() == 0 for t in only_first)


def test_window_model_state_is_the_last_tokens_so_windows_equal_one_long_pass():
    torch.manual_seed(0)
    net = WindowLanguageModel(vocab_size=15, context=4)
    tokens = torch.randint(0, 15, (3, 10))
    whole, _ = net(tokens)
    a, state = net(tokens[:, :6])
    b, _ = net(tokens[:, 6:], state)
    torch.testing.assert_close(torch.cat([a, b], dim=1), whole)


def test_written_out_lstm_language_model_equals_the_fast_one():
    torch.manual_seed(0)
    fast = RNNLanguageModel(30, embed_dim=8, hidden=8, num_layers=2)
    written = RNNLanguageModel(30, embed_dim=8, hidden=8, num_layers=2, implementation="written")
    written.load_state_dict(fast.state_dict())
    tokens = torch.randint(0, 30, (2, 7))
    torch.testing.assert_close(written(tokens)[0], fast(tokens)[0], atol=1e-5, rtol=0)


def test_weight_tying_shares_the_embedding_and_generation_extends_the_prompt():
    task = LanguageModel({**LSTM, "tie_weights": True}, vocab_size=20)
    assert task.net.output.weight is task.net.embedding.weight
    out = task.generate(torch.tensor([[3, 5]]), max_new_tokens=6, temperature=0.8, top_k=5)
    assert out.shape == (1, 8) and out[0, :2].tolist() == [3, 5]
    greedy = task.generate(torch.tensor([[3, 5]]), max_new_tokens=6, temperature=0)
    assert torch.equal(greedy, task.generate(torch.tensor([[3, 5]]), max_new_tokens=6, temperature=0))


def test_perplexity_from_the_loss_equals_torchmetrics_perplexity_over_the_logits():
    from torchmetrics.text import Perplexity

    from zoo.tasks.metrics import PerplexityOfLoss

    torch.manual_seed(0)
    ours, reference = PerplexityOfLoss(), Perplexity()
    for length in (5, 9):  # batches of different sizes: the mean is weighted by tokens
        logits, targets = torch.randn(3, length, 20), torch.randint(0, 20, (3, length))
        loss = torch.nn.functional.cross_entropy(logits.flatten(0, 1), targets.flatten())
        ours.update(loss, targets)
        reference.update(logits, targets)
    torch.testing.assert_close(ours.compute(), reference.compute(), rtol=1e-5, atol=0)


def test_accuracy_equals_torchmetrics_multiclass_accuracy_with_ties_and_ignored_targets():
    from torchmetrics.classification import MulticlassAccuracy

    from zoo.tasks.metrics import Accuracy
    from zoo.vocabulary import IGNORE

    torch.manual_seed(0)
    for ignore in (False, True):
        ours = Accuracy()
        reference = MulticlassAccuracy(7, average="micro", ignore_index=IGNORE if ignore else None)
        for rows in (33, 8):  # batches of different sizes
            scores = torch.randint(0, 3, (rows, 7)).float()  # many ties: the first largest counts
            targets = torch.randint(0, 7, (rows,))
            if ignore:
                targets[::3] = IGNORE
            ours.update(scores, targets)
            reference.update(scores, targets)
        assert 0 < ours.compute() < 1
        torch.testing.assert_close(ours.compute(), reference.compute(), rtol=0, atol=1e-7)


def test_the_epoch_mean_loss_weights_each_batch_by_its_size():
    from zoo.tasks.metrics import WeightedMean

    batch_means, sizes = torch.tensor([1.0, 2.0, 4.0]), [64, 64, 16]
    expected = (1.0 * 64 + 2.0 * 64 + 4.0 * 16) / 144  # 1.78, where the unweighted mean is 2.33
    bundled, one_at_a_time = WeightedMean(), WeightedMean()
    bundled.update(batch_means, sizes)
    for mean, size in zip(batch_means, sizes, strict=True):
        one_at_a_time.update(mean, size)
    for metric in (bundled, one_at_a_time):
        torch.testing.assert_close(metric.compute(), torch.tensor(expected))
