"""test/groups: of the listed words, the share whose nearest other listed word is of their own
group - measured exactly on vectors built by hand, and refused for lists the vocabulary lacks."""

import itertools

import pytest
import torch

from zoo.data.skipgram import SkipGramDataModule
from zoo.errors import ZooError
from zoo.tasks.inference.embed import chance_level, group_accuracy


def test_group_accuracy_counts_words_whose_nearest_listed_word_is_of_their_group():
    vectors = torch.tensor([[1.0, 0.0], [0.9, 0.1], [0.95, -0.1], [0.0, 1.0], [0.1, 0.9], [0.8, 0.2]])
    # rows 0-2 and 5 point one way, rows 3-4 the other; row 5 is listed with the second group
    groups = {"a": [0, 1, 2], "b": [3, 4, 5]}
    assert group_accuracy(vectors, groups) == pytest.approx(5 / 6)  # only row 5 is nearest a wrong word
    assert group_accuracy(vectors, {"a": [0, 1, 2, 5], "b": [3, 4]}) == 1.0
    assert group_accuracy(10 * vectors, groups) == pytest.approx(5 / 6)  # cosine: lengths do not count


def test_the_chance_level_is_the_mean_over_every_labelling_of_random_neighbours():
    groups = {"a": [0, 1, 2], "b": [3, 4], "c": [5, 6, 7, 8]}
    words = [w for members in groups.values() for w in members]
    group_of = {w: g for g, members in groups.items() for w in members}
    hits = [group_of[w] == group_of[v] for w, v in itertools.permutations(words, 2)]
    assert chance_level(groups) == pytest.approx(sum(hits) / len(hits))


def test_the_grammar_s_parts_of_speech_are_its_groups_and_listed_words_must_be_in_the_vocabulary():
    data = SkipGramDataModule(num_sentences=200)
    data.setup()
    assert {"NOUN", "VERB", "DET"} <= set(data.group_ids)
    assert all(len(rows) > 1 for rows in data.group_ids.values())
    listed = SkipGramDataModule(num_sentences=200, word_groups={"pets": ["dog", "cat"], "places": ["river"]})
    listed.setup()
    assert len(listed.group_ids["pets"]) == 2 and None not in listed.group_ids["pets"]
    with pytest.raises(ZooError, match="'zebra', 'unicorn' not in the vocabulary"):
        SkipGramDataModule(num_sentences=200, word_groups={"a": ["dog", "zebra"], "b": ["unicorn"]}).setup()
    with pytest.raises(ZooError, match="two groups or more"):
        SkipGramDataModule(num_sentences=200, word_groups={"a": ["dog", "cat"]}).setup()
