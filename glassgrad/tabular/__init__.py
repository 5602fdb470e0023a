"""Tables for training: a bundled data set or a CSV -> float32 features and encoded targets.

The data layer of ``glassgrad train --data table.csv --target price``. ``prepare`` loads the
table and picks the target and the task; ``TabularPreprocessor`` learns scikit-learn
preprocessing (median impute + standardise numbers, most-frequent impute + one-hot text) and
saves it with the run as a skops file (never pickle); ``split`` makes train/validation/test
parts; ``training_data`` does all of that for ``glassgrad train``, in little memory. A saved
run folder is untrusted: ``TabularPreprocessor.load`` builds nothing but the types glassgrad
writes (see ``trust``). Every bad input raises ``DataError`` with a one-line message the CLI
prints as is.

This module is not imported by ``import glassgrad``; scikit-learn and skops are imported inside
the functions that need them.
"""

from .frames import (
           BUNDLED,
           TASKS,
           DataError,
           infer_task,
           load_frame,
           prepare,
           resolve_target,
           split,
)
from .preprocessor import TabularPreprocessor, TrainingData, training_data

__all__ = ["BUNDLED", "TASKS", "DataError", "TabularPreprocessor", "TrainingData", "infer_task",
           "load_frame", "prepare", "resolve_target", "split", "training_data"]
