"""Reading the preprocessing of a run folder that may come from someone else.

``preprocessing.skops`` could hold any object skops can build, and skops trusts every
scikit-learn estimator by default, some of which call functions named in the file. So the
file's schema is read first, with ``json`` and ``zipfile`` only, and every node in it must be
one of the node types glassgrad itself writes (``SKOPS_NODES``); only then is
``skops.io.load`` called, trusting exactly the types found. After loading, the object graph
must be the ColumnTransformer glassgrad builds, compared by exact type, step names,
parameters and columns. ``preprocessing.json`` is checked field by field (``CONFIG_SCHEMA``),
for agreement between its fields, and against the transformer. Every refusal is one
``DataError`` line naming the run folder.

``import_skops`` imports skops for saving and loading alike, without PyTorch.
"""

import json
import sys
import zipfile
from pathlib import Path

from .._schema import (
    FINITE_NUMBER,
    POSITIVE_INT,
    TEXT,
    Kind,
    check_document,
    list_of,
    one_of,
    optional,
)
from ..train.run_folder import RunFolderError, inside_run
from .frames import TASKS, DataError, _listing

__all__ = ["CONFIG_SCHEMA", "FORMAT", "SKOPS_NODES", "check_transformer", "import_skops",
           "read_config", "read_transformer"]

FORMAT = "glassgrad.tabular/1"

# Every (skops loader, type) pair in the preprocessing.skops files that glassgrad writes: found
# by saving fitted preprocessors for numeric-only, categorical-only and mixed tables (with and
# without missing values, with bool and int columns), for classification and regression, and
# for the bundled data sets, then listing the nodes of each file's schema.json.
# skops.io.get_untrusted_types lists only numpy.dtype for all of them: skops trusts the rest by
# default, which is why that list alone is no guard (it trusts every scikit-learn estimator).
# No functions appear. Any other node is refused before skops builds a single object.
SKOPS_NODES = frozenset({
    ("ObjectNode", "sklearn.compose._column_transformer.ColumnTransformer"),
    ("ObjectNode", "sklearn.pipeline.Pipeline"),
    ("ObjectNode", "sklearn.impute._base.SimpleImputer"),
    ("ObjectNode", "sklearn.preprocessing._data.StandardScaler"),
    ("ObjectNode", "sklearn.preprocessing._encoders.OneHotEncoder"),
    ("DictNode", "builtins.dict"),
    ("ListNode", "builtins.list"),
    ("TupleNode", "builtins.tuple"),
    ("SliceNode", "builtins.slice"),
    ("JsonNode", "builtins.str"),
    ("TypeNode", "builtins.str"),
    ("TypeNode", "numpy.float64"),
    ("NdArrayNode", "numpy.ndarray"),
    ("NdArrayNode", "numpy.float64"),
    ("DTypeNode", "numpy.dtype"),
})

_LABEL = Kind("a label (string, number or boolean)",
              lambda v: isinstance(v, (str, bool)) or FINITE_NUMBER.test(v))
# every field of preprocessing.json (load reads them all)
CONFIG_SCHEMA = {
    "format": one_of(FORMAT), "task": one_of(*TASKS), "target": TEXT,
    "max_categories": POSITIVE_INT, "feature_columns": list_of(TEXT),
    "numeric_columns": list_of(TEXT), "categorical_columns": list_of(TEXT),
    "feature_names_out": list_of(TEXT), "n_features_out": POSITIVE_INT,
    "n_outputs": POSITIVE_INT, "classes": optional(list_of(_LABEL)),
    "target_mean": optional(FINITE_NUMBER), "target_std": optional(FINITE_NUMBER),
}


def import_skops():
    """``skops.io``, imported without importing PyTorch.

    Importing ``skops.io`` lists every scikit-learn estimator, which imports every
    scikit-learn subpackage, among them an array-API adapter that imports ``torch`` when it is
    installed: about 240 MB of resident memory and a second and a half, for nothing a
    ColumnTransformer uses. The adapter is hidden (an ``ImportError``, which the listing
    skips) while ``skops.io`` is imported, and visible again afterwards.
    """
    adapter = "sklearn.externals.array_api_compat.torch"
    if "skops.io" in sys.modules or adapter in sys.modules or "torch" in sys.modules:
        import skops.io

        return skops.io
    sys.modules[adapter] = None
    try:
        import skops.io
    finally:
        if sys.modules.get(adapter, False) is None:
            del sys.modules[adapter]
    return skops.io


def _inside(folder, name):
    """``folder / name``, refused if it is missing or resolves outside ``folder`` (a link)."""
    try:
        path = Path(inside_run(folder, name))
    except RunFolderError as err:
        raise DataError(str(err)) from None
    if not path.is_file():
        raise DataError(f"run folder {folder}: cannot load the preprocessing: {name} is missing; "
                        "expected the preprocessing.json and preprocessing.skops that glassgrad "
                        "train writes")
    return path


def read_config(folder):
    """The contents of ``folder/preprocessing.json``, checked against ``CONFIG_SCHEMA`` and
    for agreement between its fields.

    Example:
        >>> read_config(Path("runs/iris-1"))["task"]  # doctest: +SKIP
        'classification'
    """
    folder = Path(folder)
    try:
        config = json.loads(_inside(folder, "preprocessing.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as err:
        raise DataError(f"run folder {folder}: cannot load the preprocessing: "
                        f"preprocessing.json is not readable JSON ({err})") from None
    where = f"run folder {folder}: preprocessing.json"
    check_document(config, CONFIG_SCHEMA, where, DataError)
    _check_columns(config, where + ":")
    _check_target(config, where + ":")
    return config


def _check_columns(config, where):
    """The feature columns are the numeric and the categorical ones, each once, not the target."""
    features = config["feature_columns"]
    numeric, categorical = config["numeric_columns"], config["categorical_columns"]
    if not features or len(set(features)) != len(features):
        raise DataError(f"{where} field 'feature_columns' must name each column once")
    if sorted(numeric + categorical) != sorted(features):
        raise DataError(f"{where} fields 'numeric_columns' and 'categorical_columns' must "
                        "together be the 'feature_columns'")
    if config["target"] in features:
        raise DataError(f"{where} the target {config['target']!r} is also a feature column")
    if len(config["feature_names_out"]) != config["n_features_out"]:
        raise DataError(f"{where} field 'feature_names_out' must have 'n_features_out' names")


def _check_target(config, where):
    """Classes for classification (as many as outputs), mean and std for regression."""
    classes = config["classes"]
    if config["task"] == "classification":
        if classes is None or len(classes) < 2 or len(classes) != config["n_outputs"]:
            raise DataError(f"{where} field 'classes' must list the 'n_outputs' classes (at "
                            "least two) of a classification")
        if len({(type(c), c) for c in classes}) != len(classes):
            raise DataError(f"{where} field 'classes' must name each class once")
        if config["target_mean"] is not None or config["target_std"] is not None:
            raise DataError(f"{where} fields 'target_mean' and 'target_std' must be null for "
                            "a classification")
        return
    if classes is not None or config["n_outputs"] != 1:
        raise DataError(f"{where} a regression has 'classes' null and 'n_outputs' 1")
    mean, std = config["target_mean"], config["target_std"]
    if mean is None or std is None or std <= 0:
        raise DataError(f"{where} a regression needs a number 'target_mean' and a positive "
                        "'target_std'")


def _schema_nodes(path):
    """The set of (loader, type) pairs of every node in the skops file's schema.json.

    Read with zipfile and json alone: nothing is imported or built. Any dict carrying one of
    the keys skops reads a type from counts as a node, whatever its place in the tree; a class
    name with a dot in it (an attribute path) is never an allowed type.
    """
    with zipfile.ZipFile(path) as archive:
        schema = json.loads(archive.read("schema.json"))
    nodes, stack = set(), [schema]
    while stack:   # depth-first, without recursion (a deep file cannot exhaust the stack)
        item = stack.pop()
        if isinstance(item, dict):
            if {"__loader__", "__module__", "__class__"} & set(item):
                module, name = item.get("__module__"), item.get("__class__")
                plain = isinstance(name, str) and "." not in name
                kind = f"{module}.{name}" if plain else f"{module}:{name}"
                nodes.add((str(item.get("__loader__")), kind))
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return nodes


def read_transformer(folder):
    """The ColumnTransformer in ``folder/preprocessing.skops``, if every node is allow-listed.

    Example:
        >>> type(read_transformer(Path("runs/iris-1"))).__name__  # doctest: +SKIP
        'ColumnTransformer'
    """
    folder = Path(folder)
    path = _inside(folder, "preprocessing.skops")
    try:
        nodes = _schema_nodes(path)
    except (OSError, KeyError, ValueError, RecursionError, zipfile.BadZipFile) as err:
        raise DataError(f"run folder {folder}: cannot load the preprocessing: "
                        f"preprocessing.skops is not a skops file ({err})") from None
    known = {kind for _, kind in SKOPS_NODES}
    untrusted = sorted({kind if kind not in known else f"{kind} as {loader}"
                        for loader, kind in nodes - SKOPS_NODES})
    if untrusted:
        more = f" (and {', '.join(untrusted[1:])})" if len(untrusted) > 1 else ""
        raise DataError(f"run folder {folder}: untrusted type {untrusted[0]} in "
                        f"preprocessing.skops{more}; glassgrad loads only the types it writes, "
                        "so nothing in it was loaded")
    skops_io = import_skops()
    try:
        return skops_io.load(path, trusted=sorted({kind for _, kind in nodes}))
    except Exception as err:  # skops raises many kinds of error on a damaged file
        raise DataError(f"run folder {folder}: cannot load the preprocessing: "
                        f"preprocessing.skops is damaged ({type(err).__name__}: {err})") from None


def _describe(transformer, attribute):
    """Exact types, step names, parameters and columns of a ColumnTransformer's list
    ``attribute`` (``"transformers"``, or ``"transformers_"`` once fitted).

    Two transformers describe alike when they were built alike (``repr`` of the parameters
    makes NaN equal to NaN).
    """
    def pipeline(pipe):
        params = {k: v for k, v in pipe.get_params(deep=False).items() if k != "steps"}
        steps = tuple((name, type(step), repr(step.get_params(deep=False)))
                      for name, step in pipe.steps)
        return type(pipe), repr(params), steps

    params = {k: v for k, v in transformer.get_params(deep=False).items() if k != "transformers"}
    parts = tuple((name, pipeline(pipe), list(columns))
                  for name, pipe, columns in getattr(transformer, attribute))
    return type(transformer), repr(params), parts


def check_transformer(folder, transformer, expected, config):
    """DataError unless ``transformer`` was built like ``expected`` (the unfitted
    ColumnTransformer glassgrad builds for the config's columns), fitted on the config's
    feature columns, and makes the config's features."""
    from sklearn.compose import ColumnTransformer

    where = f"run folder {folder}: preprocessing.skops"
    if type(transformer) is not ColumnTransformer:
        raise DataError(f"{where} holds a {type(transformer).__name__}, not the "
                        "ColumnTransformer glassgrad writes")
    built = _describe(expected, "transformers")
    try:
        same = (_describe(transformer, "transformers") == built
                and _describe(transformer, "transformers_") == built)
        names_in = list(transformer.feature_names_in_)
        names_out = transformer.get_feature_names_out().tolist()
        sparse = transformer.sparse_output_
    except Exception as err:  # a missing or malformed attribute of a crafted file
        raise DataError(f"{where} is not a fitted glassgrad preprocessing "
                        f"({type(err).__name__}: {err})") from None
    if not same:
        raise DataError(f"{where} does not hold the preprocessing glassgrad builds for the "
                        "columns in preprocessing.json (other steps, types, parameters or "
                        "columns)")
    if sparse is not False or names_in != config["feature_columns"]:
        raise DataError(f"{where} was not fitted on the 'feature_columns' of "
                        "preprocessing.json")
    if names_out != config["feature_names_out"]:
        raise DataError(f"{where} makes the features {_listing(names_out, 5)}, not the "
                        f"'feature_names_out' of preprocessing.json "
                        f"({_listing(config['feature_names_out'], 5)})")
