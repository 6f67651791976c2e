import numpy as np
import pytest

from recommendations.engine.data import (
    InteractionData,
    leave_one_out,
    load_item_attributes,
    load_movielens,
    load_sequences,
    time_split,
    weights_from_kinds,
)


def test_load_sequences_maps_raw_ids_to_indices_in_numeric_order(tmp_path):
    path = tmp_path / "seq.txt"
    path.write_text("u1 10 2 10\nu2 2 7\n")

    data = load_sequences(path)

    assert data.item_ids == ("2", "7", "10")
    assert [s.tolist() for s in data.sequences] == [[2, 0, 2], [0, 1]]
    assert data.user_ids == ("u1", "u2")
    assert data.num_items == 3


def test_load_sequences_rejects_a_user_without_items(tmp_path):
    path = tmp_path / "seq.txt"
    path.write_text("u1 1 2\nu2\n")

    with pytest.raises(ValueError, match=":2:"):
        load_sequences(path)


def test_load_movielens_sorts_each_user_by_time_and_keeps_ratings_as_weights(tmp_path):
    path = tmp_path / "u.data"
    path.write_text("1\t30\t4\t300\n1\t10\t5\t100\n2\t20\t3\t50\n1\t20\t1\t200\n")

    data = load_movielens(path)

    assert data.item_ids == ("10", "20", "30")
    assert [s.tolist() for s in data.sequences] == [[0, 1, 2], [1]]
    assert data.timestamps[0].tolist() == [100, 200, 300]
    assert data.weights[0].tolist() == [5, 1, 4]


def test_leave_one_out_holds_out_last_for_test_and_second_last_for_validation():
    data = InteractionData.from_sequences([[0, 1, 2, 3], [4, 5]], num_items=6)

    split = leave_one_out(data)

    assert [s.tolist() for s in split.train.sequences] == [[0, 1], [4, 5]]
    assert [h.tolist() for h in split.valid.histories] == [[0, 1]]
    assert split.valid.targets.tolist() == [2]
    assert [h.tolist() for h in split.test.histories] == [[0, 1, 2]]
    assert split.test.targets.tolist() == [3]
    assert split.test.users.tolist() == [0]


def test_an_eval_set_samples_users_with_their_own_histories_and_targets():
    data = InteractionData.from_sequences([[u, u + 10, u + 20] for u in range(10)], num_items=30)
    test = leave_one_out(data).test

    sample = test.sample(4, seed=3)

    assert len(sample) == 4 and sample.users.tolist() == sorted(sample.users.tolist())
    for history, target, user in zip(sample.histories, sample.targets, sample.users, strict=True):
        assert history.tolist() == [user, user + 10] and target == user + 20
    assert sample.users.tolist() == test.sample(4, seed=3).users.tolist()  # repeatable
    assert test.sample(10) is test


def test_time_split_tests_each_users_first_item_after_the_cutoff():
    data = InteractionData.from_sequences(
        [[0, 1, 2], [3, 4], [5]],
        num_items=6,
        timestamps=[[1, 5, 9], [6, 7], [2]],
    )

    split = time_split(data, cutoff=5)

    assert [s.tolist() for s in split.train.sequences] == [[0], [], [5]]
    assert split.test.targets.tolist() == [1]
    assert [h.tolist() for h in split.test.histories] == [[0]]


def test_time_split_needs_timestamps():
    with pytest.raises(ValueError, match="timestamps"):
        time_split(InteractionData.from_sequences([[0, 1]]), cutoff=1)


def test_interaction_data_rejects_an_item_outside_the_catalogue():
    with pytest.raises(ValueError, match="outside"):
        InteractionData.from_sequences([[0, 3]], num_items=3)


def test_weights_from_kinds_maps_known_kinds_and_rejects_unknown_ones():
    assert weights_from_kinds(["view", "purchase"]).tolist() == [1.0, 5.0]
    with pytest.raises(ValueError, match="wishlist"):
        weights_from_kinds(["wishlist"])


def test_load_item_attributes_builds_unit_multi_hot_rows(tmp_path):
    path = tmp_path / "attrs.json"
    path.write_text('{"1": [7, 8], "2": [8]}')

    matrix = load_item_attributes(path, ["1", "2", "3"])

    assert matrix.shape == (3, 2)
    np.testing.assert_allclose(matrix[0], [2**-0.5, 2**-0.5], rtol=1e-6)
    np.testing.assert_allclose(matrix[1], [0, 1])
    np.testing.assert_allclose(matrix[2], [0, 0])
