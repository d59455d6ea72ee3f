"""What d2l 1.0.3 and the chapter's code need on a newer stack than their own (Python 3.12+, NumPy 2,
TensorFlow >= 2.16), each workaround named by its incompatibility; the drop-ins call these before importing d2l.
"""

import importlib.util
import os

D2L_REMEDY = (
    "pip install --no-deps d2l==1.0.3  (--no-deps: d2l 1.0.3 pins numpy==1.23.5, matplotlib==3.7.2 and more "
    "exactly, which would replace your NumPy and Matplotlib; d2l_ext declares the packages d2l's code imports)"
)
LEGACY_KERAS = "TF_USE_LEGACY_KERAS"


def require_d2l():
    """d2l is not a dependency of d2l_ext (its exact pins would break the environment it installs into)."""
    if importlib.util.find_spec("d2l") is None:
        raise ImportError(f"d2l_ext runs d2l 1.0.3's code, and d2l is not installed: {D2L_REMEDY}")


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
        raise ImportError(
            f"TensorFlow {tf.__version__} gives Keras 3 as tf.keras; the chapter needs Keras 2 (it uses "
            f"optimizer.lr): pip install 'tf-keras=={minor}.*', and leave {LEGACY_KERAS} unset (d2l_ext sets it "
            "to 1) or set it to 1, then restart the kernel"
        )
