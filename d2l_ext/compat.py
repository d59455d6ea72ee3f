"""What d2l 1.0.3 and the chapter's code need on a newer stack than their own (Python 3.12+, NumPy 2,
TensorFlow >= 2.16), each workaround named by its incompatibility; the drop-ins call these before importing d2l.
"""

import contextlib
import importlib.util
import os
import re
import sys
import tempfile

from d2l_ext import D2lExtError

D2L_REMEDY = (
    "pip install --no-deps d2l==1.0.3  (--no-deps: d2l 1.0.3 pins numpy==1.23.5, matplotlib==3.7.2 and more "
    "exactly, which would replace your NumPy and Matplotlib; d2l_ext declares the packages d2l's code imports)"
)
LEGACY_KERAS = "TF_USE_LEGACY_KERAS"
TF_LOG_LEVEL = "TF_CPP_MIN_LOG_LEVEL"
SEVERITIES = "IWEF"  # TensorFlow's C++ log levels 0..3: info, warning, error, fatal
# TensorFlow's C++ log line as absl writes it before absl::InitializeLog: "I0000 00:00:17959.8 26353 port.cc:153] ..."
ABSL_LINE = re.compile(r"^(?P<severity>[IWEF])\d{4} \d{2}:\d{2}:\d+\.\d+\s+\d+ \S+:\d+\] ")
ABSL_NOTICE = "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR"


class MissingPackage(D2lExtError, ImportError):
    """A package the chapter's code needs is missing or the wrong one; the message has the install command."""


def require_d2l():
    """d2l is not a dependency of d2l_ext (its exact pins would break the environment it installs into)."""
    if importlib.util.find_spec("d2l") is None:
        raise MissingPackage(f"d2l_ext runs d2l 1.0.3's code, and d2l is not installed: {D2L_REMEDY}")


def choose_legacy_keras():
    """Before TensorFlow loads: Keras 2 where tf-keras is installed.

    TensorFlow >= 2.16 makes Keras 3 its tf.keras, whose optimizers have no `lr` (the chapter reads and assigns
    `optimizer.lr`); TF_USE_LEGACY_KERAS=1 routes tf.keras to the tf-keras package (Keras 2). Only where tf-keras
    is installed: TensorFlow 2.15 (Keras 2 built in) would warn and find no Keras at all. A value the user set wins.
    """
    if importlib.util.find_spec("tf_keras") is not None:
        os.environ.setdefault(LEGACY_KERAS, "1")


def require_keras_2(tf):
    """After TensorFlow loaded: stop with the remedy when its tf.keras is Keras 3 (optimizers without `lr`)."""
    if not hasattr(tf.keras.optimizers.SGD, "lr"):
        minor = ".".join(tf.__version__.split(".")[:2])
        raise MissingPackage(
            f"TensorFlow {tf.__version__} gives Keras 3 as tf.keras; the chapter needs Keras 2 (it uses "
            f"optimizer.lr): pip install 'tf-keras=={minor}.*', and leave {LEGACY_KERAS} unset (d2l_ext sets it "
            "to 1) or set it to 1, then restart the kernel"
        )


def hidden(line, level):
    """Whether TF_CPP_MIN_LOG_LEVEL=`level` hides this line of TensorFlow's C++ log (absl's notice is a warning)."""
    match = ABSL_LINE.match(line)
    severity = match["severity"] if match else "W" if line.startswith(ABSL_NOTICE) else None
    return severity is not None and SEVERITIES.index(severity) < level


@contextlib.contextmanager
def tf_log_level_kept():
    """Around TensorFlow's import: the C++ log lines TF_CPP_MIN_LOG_LEVEL hides are dropped, all else passed on.

    TensorFlow >= 2.19 logs through absl, and what it logs while loading (oneDNN, "could not find cuda drivers")
    comes before absl::InitializeLog, which ignores TF_CPP_MIN_LOG_LEVEL (tensorflow/tensorflow#100442): in a
    notebook those lines became the first cell's stderr, differing by machine. Process-level stderr (fd 2) goes
    to a temporary file meanwhile and is written back filtered, in order, when the import ends or fails.
    """
    level = int(os.environ.get(TF_LOG_LEVEL) or 0)
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as log:
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            log.seek(0)
            lines = log.read().decode(errors="replace").splitlines(keepends=True)
            os.write(2, "".join(line for line in lines if not hidden(line, level)).encode())
