"""A run folder or a table from someone else: ``preprocessing.skops`` builds nothing glassgrad
does not write, ``preprocessing.json`` is checked field by field, and a bad table (repeated
column names, an identifier as the target, a binary file) gets one line and exit code 2.

The payloads are real: each one is shown to run its code when loaded the way skops allows
(``trusted=get_untrusted_types(...)``) before glassgrad is shown to refuse it with its marker
file left absent.
"""

import contextlib
import gzip
import json
import os
import pickle
import shutil
import struct

import numpy as np
import pandas as pd
import pytest
import skops.io
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, MinMaxScaler
from sklearn.utils._testing import assert_run_python_script_without_output

from glassgrad.cli import main
from glassgrad.tabular import DataError, TabularPreprocessor, load_frame
from glassgrad.tabular.trust import SKOPS_NODES


def make_houses(n=120, seed=0):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"area": rng.uniform(40, 200, n), "rooms": rng.integers(1, 6, n),
                          "city": rng.choice(["paris", "lyon", "nice"], n)})
    frame["price"] = 3 * frame["area"] + 20 * frame["rooms"] + rng.normal(0, 10, n)
    frame.loc[::9, "area"] = np.nan
    frame.loc[::11, "city"] = None
    return frame


def one_line_error(capsys, argv, *words):
    """``glassgrad argv`` exits with 2 and one line on stderr holding every word."""
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("glassgrad: error:"), err
    for word in words:
        assert word in err, (word, err)
    return err


def refused(folder, *words):
    """``TabularPreprocessor.load(folder)`` raises a one-line DataError holding every word."""
    with pytest.raises(DataError) as info:
        TabularPreprocessor.load(folder)
    message = str(info.value)
    assert "\n" not in message
    for word in words:
        assert word in message, (word, message)
    return message


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A finished run on the houses table, and a CSV of new rows to predict."""
    folder = tmp_path_factory.mktemp("trust")
    make_houses().to_csv(folder / "houses.csv", index=False)
    make_houses(20, seed=1).drop(columns="price").to_csv(folder / "new.csv", index=False)
    assert main(["train", "--data", str(folder / "houses.csv"), "--target", "price",
                 "--epochs", "1", "--quiet", "--out", str(folder / "run")]) == 0
    return folder


@pytest.fixture
def run(trained, tmp_path):
    """A copy of the finished run, free to be damaged."""
    shutil.copytree(trained / "run", tmp_path / "run")
    return tmp_path / "run"


# ------------------------------------------------------------------ preprocessing.skops payloads
def function_chain(funcs):
    """A fitted ColumnTransformer whose pipeline calls ``funcs`` (each ``(func, kw_args)``) in
    turn at transform time: fitted with identity functions, which are then swapped in, as an
    attacker would."""
    pipe = Pipeline([(f"step{i}", FunctionTransformer()) for i in range(len(funcs))])
    transformer = ColumnTransformer([("numeric", pipe, ["area"])]).fit(make_houses())
    for (_, step), (func, kw_args) in zip(transformer.transformers_[0][1].steps, funcs):
        step.func, step.kw_args = func, kw_args
    return transformer


def text_of(value):
    """Pipeline steps that turn any input into the string ``value`` (a NumPy function with
    the text in its arguments, then ``str``)."""
    return [(np.full_like, {"fill_value": value, "shape": (), "dtype": "U500"}), (str, None)]


class Touch:
    """Unpickling this creates the file ``path``."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return open, (self.path, "w")


def script_payload(marker, folder):
    """Run a Python script (a scikit-learn testing helper runs the text it is given)."""
    script = f"open({str(marker)!r}, 'w').close()"
    return function_chain(text_of(script) + [(assert_run_python_script_without_output, None)])


def numpy_save_payload(marker, folder):
    """``numpy.save`` writes a file wherever the text says."""
    return function_chain(text_of(str(marker)) + [(np.save, {"arr": 0})])


def numpy_load_payload(marker, folder):
    """``numpy.load(allow_pickle=True)`` of a pickle whose loading creates the marker."""
    pickled = folder / "weights.npy"
    pickled.write_bytes(pickle.dumps(Touch(str(marker))))
    return function_chain(text_of(str(pickled)) + [(np.load, {"allow_pickle": True})])


PAYLOADS = {"script": (script_payload, "sklearn.utils._testing"),
            "numpy.save": (numpy_save_payload, "numpy.save"),
            "numpy.load": (numpy_load_payload, "numpy.load")}


@pytest.mark.parametrize("name", PAYLOADS)
def test_a_skops_payload_runs_nothing(run, trained, tmp_path, capsys, monkeypatch, name):
    craft, untrusted = PAYLOADS[name]
    marker = tmp_path / "marker.npy"
    payload = tmp_path / "payload.skops"
    skops.io.dump(craft(marker, tmp_path), payload)
    # the payload is live: loaded as skops allows, and as glassgrad did (every type it lists
    # starts with sklearn. or numpy), its transform runs the attacker's code
    listed = skops.io.get_untrusted_types(file=payload)
    assert all(t.startswith(("sklearn.", "numpy")) for t in listed), listed
    with contextlib.suppress(Exception):
        skops.io.load(payload, trusted=listed).transform(make_houses())
    assert marker.exists()
    marker.unlink()

    shutil.copy(payload, run / "preprocessing.skops")
    monkeypatch.setattr(skops.io, "load", lambda *args, **kwargs: pytest.fail("skops.io.load"))
    refused(run, f"run folder {run}: untrusted type", untrusted, "in preprocessing.skops")
    one_line_error(capsys, ["predict", str(run), str(trained / "new.csv"), "-o",
                            str(tmp_path / "out.csv")], "untrusted type", "preprocessing.skops")
    assert not marker.exists()
    assert not (tmp_path / "out.csv").exists()


def test_a_scikit_learn_type_glassgrad_does_not_write_is_refused(run, tmp_path, monkeypatch):
    pre = TabularPreprocessor.load(run)
    pipeline = pre._transformer.transformers_[0][1]
    pipeline.steps[1] = ("scale", MinMaxScaler().fit([[0.0, 0.0], [1.0, 1.0]]))
    skops.io.dump(pre._transformer, run / "preprocessing.skops")
    monkeypatch.setattr(skops.io, "load", lambda *args, **kwargs: pytest.fail("skops.io.load"))
    refused(run, "untrusted type", "sklearn.preprocessing._data.MinMaxScaler",
            "in preprocessing.skops")


def edit_schema(path, edit):
    """Rewrite the schema.json inside the skops file ``path`` with ``edit(schema)``."""
    import zipfile

    with zipfile.ZipFile(path) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    schema = json.loads(files["schema.json"])
    edit(schema)
    files["schema.json"] = json.dumps(schema).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)


def test_a_node_loaded_another_way_is_refused(run, tmp_path):
    shutil.copy(run / "preprocessing.skops", tmp_path / "saved.skops")

    def as_reduce(schema):   # the ColumnTransformer itself, built by calling its "constructor"
        schema["__loader__"] = "ReduceNode"

    edit_schema(run / "preprocessing.skops", as_reduce)
    refused(run, "untrusted type sklearn.compose._column_transformer.ColumnTransformer as "
                 "ReduceNode in preprocessing.skops")

    def hidden_node(schema):   # a type tucked away in a node without a loader
        schema["content"]["content"]["extra"] = {"__module__": "os", "__class__": "system"}

    shutil.copy(tmp_path / "saved.skops", run / "preprocessing.skops")
    edit_schema(run / "preprocessing.skops", hidden_node)
    refused(run, "untrusted type os.system in preprocessing.skops")

    def attribute_path(schema):   # an allowed name, spelt as a path from another module
        schema["__module__"], schema["__class__"] = "sklearn", "compose.ColumnTransformer"

    shutil.copy(tmp_path / "saved.skops", run / "preprocessing.skops")
    edit_schema(run / "preprocessing.skops", attribute_path)
    refused(run, "untrusted type sklearn:compose.ColumnTransformer in preprocessing.skops")


def test_the_allow_list_is_exactly_what_glassgrad_writes(tmp_path):
    from glassgrad.tabular.trust import _schema_nodes

    frames = {"numeric": make_houses()[["area", "rooms", "price"]],
              "categorical": make_houses()[["city", "price"]].assign(flag=[True, False] * 60),
              "mixed": make_houses()}
    found = set()
    for kind, frame in frames.items():
        for task, target in (("regression", frame["price"]), ("classification",
                                                              frame["price"] > 400)):
            pre = TabularPreprocessor(task, "price").fit(frame.assign(price=target))
            pre.save(tmp_path / f"{kind}-{task}")
            found |= _schema_nodes(tmp_path / f"{kind}-{task}" / "preprocessing.skops")
            loaded = TabularPreprocessor.load(tmp_path / f"{kind}-{task}")
            np.testing.assert_array_equal(loaded.transform(frame), pre.transform(frame))
    assert found == SKOPS_NODES


def test_allowed_types_in_another_shape_are_refused(run):
    pre = TabularPreprocessor.load(run)
    imputer = pre._transformer.transformers_[0][1].steps[0][1]
    imputer.strategy = "mean"   # still a SimpleImputer, not glassgrad's
    skops.io.dump(pre._transformer, run / "preprocessing.skops")
    refused(run, "does not hold the preprocessing glassgrad builds")

    # glassgrad's own preprocessing, but of another table than preprocessing.json describes
    assert json.loads((run / "preprocessing.json").read_text())["categorical_columns"] == ["city"]
    without_city = TabularPreprocessor("regression", "price").fit(make_houses().drop(
        columns="city"))
    skops.io.dump(without_city._transformer, run / "preprocessing.skops")
    refused(run, "does not hold the preprocessing glassgrad builds")


def test_skops_is_imported_without_torch():
    """import_skops hides scikit-learn's PyTorch adapter only while skops lists the
    estimators (torch costs a run about 240 MB), and nothing stays hidden afterwards."""
    import subprocess
    import sys

    code = ("import sys\n"
            "from glassgrad.tabular.trust import import_skops\n"
            "skops_io = import_skops()\n"
            "adapter = 'sklearn.externals.array_api_compat.torch'\n"
            "print('torch' in sys.modules, adapter in sys.modules, skops_io.__name__)\n"
            "try:\n"
            "    import torch\n"
            "except ImportError:\n"
            "    print('no torch')\n"
            "else:\n"
            "    import importlib\n"
            "    print(importlib.import_module(adapter).__name__)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split("\n")
    assert out[0] == "False False skops.io"
    assert out[1] in ("no torch", "sklearn.externals.array_api_compat.torch")


# ------------------------------------------------------------------ preprocessing.json
@pytest.mark.parametrize("field, value, words", [
    ("numeric_columns", "area", "field 'numeric_columns' must be a list of strings"),
    ("numeric_columns", ["area", 3], "field 'numeric_columns' must be a list of strings"),
    ("task", "clustering", "field 'task' must be one of"),
    ("target", None, "field 'target' must be a string"),
    ("max_categories", 0, "field 'max_categories' must be an integer >= 1"),
    ("n_features_out", True, "field 'n_features_out' must be an integer >= 1"),
    ("classes", [{"a": 1}], "field 'classes' must be a list of labels"),
    ("target_mean", "12", "field 'target_mean' must be a finite number or null"),
    ("target_std", float("nan"), "field 'target_std' must be a finite number or null"),
    ("format", "glassgrad.tabular/0", "field 'format' must be one of"),
    # right types, wrong together
    ("n_features_out", 99, "'feature_names_out' must have 'n_features_out' names"),
    ("feature_columns", ["area", "rooms", "city", "price"], "'numeric_columns' and"),
    ("classes", ["a", "b"], "a regression has 'classes' null"),
    ("target_std", 0, "a positive 'target_std'"),
    ("feature_names_out", ["a", "b", "c", "d", "e"], "makes the features"),
    ("numeric_columns", ["area"], "'numeric_columns' and 'categorical_columns'"),
])
def test_a_damaged_preprocessing_json_is_one_line(run, field, value, words):
    config = json.loads((run / "preprocessing.json").read_text())
    assert field in config
    config[field] = value
    (run / "preprocessing.json").write_text(json.dumps(config))
    refused(run, f"run folder {run}: preprocessing", words)


def test_preprocessing_json_must_agree_with_the_transformer(run, capsys, tmp_path):
    config = json.loads((run / "preprocessing.json").read_text())
    swapped = {**config, "numeric_columns": ["area", "city"], "categorical_columns": ["rooms"]}
    (run / "preprocessing.json").write_text(json.dumps(swapped))
    refused(run, "does not hold the preprocessing glassgrad builds")
    reordered = {**config, "feature_columns": config["feature_columns"][::-1]}
    (run / "preprocessing.json").write_text(json.dumps(reordered))
    refused(run, "was not fitted on the 'feature_columns'")
    del config["classes"]
    (run / "preprocessing.json").write_text(json.dumps(config))
    refused(run, "preprocessing.json: missing field 'classes'")
    (run / "preprocessing.json").write_text("[1, 2]")
    one_line_error(capsys, ["predict", str(run), "iris", "-o", str(tmp_path / "p.csv")],
                   "preprocessing.json", "must be an object")


def test_a_preprocessing_file_outside_the_run_is_not_read(run, tmp_path):
    outside = tmp_path / "elsewhere.json"
    shutil.move(run / "preprocessing.json", outside)
    (run / "preprocessing.json").symlink_to(outside)
    refused(run, "preprocessing.json points outside the run folder")


# ------------------------------------------------------------------ tables
def test_a_repeated_column_name_is_refused(tmp_path, capsys):
    rows = "1,2,3\n4,5,6\n"
    cases = {"plain.csv": "price,area,price\n" + rows,
             "bom.csv": "\ufeffprice,area,price\n" + rows,
             "quoted.csv": '"price","are""a",price\n' + rows,
             "blank_lines.csv": "\n\nprice,area,price\n" + rows,
             "crlf.csv": ("price,area,price\n" + rows).replace("\n", "\r\n")}
    for name, text in cases.items():
        (tmp_path / name).write_bytes(text.encode("utf-8"))
        with pytest.raises(DataError, match="repeats the column name"):
            load_frame(tmp_path / name)
        one_line_error(capsys, ["train", "--data", str(tmp_path / name), "--target", "price",
                                "--out", str(tmp_path / "run")], "repeats the column name(s)",
                       "'price'", name)
        # pandas itself would have made a second column of it: a copy of the target
        assert list(pd.read_csv(tmp_path / name).columns)[-1] == "price.1"
    assert not (tmp_path / "run").exists()
    # names that only look alike are different columns
    (tmp_path / "alike.csv").write_text("price,Price,price.1, price,,\n1,2,3,4,5,6\n")
    assert list(load_frame(tmp_path / "alike.csv")[0].columns) == [
        "price", "Price", "price.1", " price", "Unnamed: 4", "Unnamed: 5"]


def test_an_identifier_target_says_so(tmp_path, capsys):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"user": [f"u{i:04d}" for i in range(200)],
                          "number": rng.permutation(1000)[:200],
                          "x": rng.normal(size=200)})
    frame.to_csv(tmp_path / "ids.csv", index=False)
    err = one_line_error(capsys, ["train", "--data", str(tmp_path / "ids.csv"), "--target",
                                  "user", "--out", str(tmp_path / "run")],
                         "'user' looks like an identifier column", "all 200",
                         "choose another --target")
    assert "--task regression" not in err
    one_line_error(capsys, ["train", "--data", str(tmp_path / "ids.csv"), "--target", "number",
                            "--task", "classification", "--out", str(tmp_path / "run")],
                   "'number' looks like an identifier column", "--task regression")
    assert not (tmp_path / "run").exists()


def safetensors_bytes():
    header = json.dumps({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}).encode()
    return struct.pack("<Q", len(header)) + header + np.zeros(2, np.float32).tobytes()


@pytest.mark.parametrize("name, content, words", [
    ("image.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "a PNG image"),
    ("table.csv", gzip.compress(b"a,b\n1,2\n" * 50), "gzip-compressed (decompress it first)"),
    ("model.safetensors", safetensors_bytes(), "binary: NUL byte at offset"),
    ("latin1.csv", "ville,prix\nMontréal,3\n".encode("latin-1"), "is not UTF-8"),
])
def test_a_binary_file_is_not_a_text_csv(tmp_path, capsys, name, content, words):
    (tmp_path / name).write_bytes(content)
    one_line_error(capsys, ["train", "--data", str(tmp_path / name), "--target", "b",
                            "--out", str(tmp_path / "run")], "is not a text CSV file", words)
    assert not (tmp_path / "run").exists()


def test_a_multibyte_character_cut_by_the_sample_is_still_text(tmp_path):
    from glassgrad.tabular.frames import _SNIFF_BYTES

    header = "city,n\n"
    long_name = "x" * (_SNIFF_BYTES - 1 - len(header)) + "ü"
    data = (header + long_name + ",1\nzürich,2\n").encode("utf-8")
    assert data[_SNIFF_BYTES - 1:_SNIFF_BYTES + 1] == "ü".encode("utf-8")   # cut in two
    (tmp_path / "cities.csv").write_bytes(data)
    frame, _ = load_frame(tmp_path / "cities.csv")
    assert frame["city"].tolist() == [long_name, "zürich"]


def test_a_run_folder_copy_keeps_working(run, trained, tmp_path):
    """The checks refuse the bad and keep the good: an untouched copy predicts."""
    assert main(["predict", str(run), str(trained / "new.csv"), "-o",
                 str(tmp_path / "p.csv")]) == 0
    assert len(pd.read_csv(tmp_path / "p.csv")) == 20
    assert os.path.exists(run / "preprocessing.skops")
