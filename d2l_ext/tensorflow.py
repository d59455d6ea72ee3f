"""Drop-in for `d2l.tensorflow`: all of it, plus an offline in-memory Fashion-MNIST loader and the chapter's code.

`from d2l_ext import tensorflow as d2l` gives everything `from d2l import tensorflow as d2l` gives.
"""

import os
import sys

from d2l_ext import compat, dropin

# Before TensorFlow loads: its C++ start-up log (oneDNN, "could not find cuda drivers", TensorRT, and TF 2.15's
# spurious "Unable to register cuDNN factory" errors) differs from machine to machine and teaches nothing here;
# 3 keeps it out of the notebooks (failures still raise). A value the user set wins.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
dropin.before_framework()
compat.choose_legacy_keras()  # TensorFlow >= 2.16: Keras 2 from tf-keras (the chapter uses optimizer.lr)

with compat.tf_log_level_kept():  # TensorFlow >= 2.19 logs while loading whatever TF_CPP_MIN_LOG_LEVEL says
    import tensorflow as tf

    compat.require_keras_2(tf)
    from d2l import tensorflow as _d2l
    from d2l.tensorflow import *  # noqa: F401,F403  the deliberate re-export that makes this a drop-in

from d2l_ext import data  # noqa: E402
from d2l_ext.animator import ThrottledAnimatorMixin  # noqa: E402
from d2l_ext.schedulers import *  # noqa: E402,F403  the chapter's schedulers, as d2l.<Name>

d2l = sys.modules[__name__]
dropin.after_d2l(__name__, _d2l, tf.random.set_seed)


class Animator(ThrottledAnimatorMixin, _d2l.Animator):
    """d2l's Animator, redrawing at most twice a second and a tenth of the time (same final figure)."""


class TrainCallback(_d2l.TrainCallback):
    """d2l's TrainCallback, drawing with the throttled Animator."""

    def __init__(self, net, train_iter, test_iter, num_epochs, device_name):
        super().__init__(net, train_iter, test_iter, num_epochs, device_name)
        plt.close(self.animator.fig)  # noqa: F405  (from d2l.tensorflow)
        self.animator = Animator(xlabel="epoch", xlim=[1, num_epochs], legend=["train loss", "train acc", "test acc"])


def to_arrays(split, quick=None):
    """One split as float32 (N, 28, 28, 1) images in [0, 1] and int32 labels (the d2l layout; quick: see data)."""
    images, labels = data.load_split(split, quick)
    return images[..., None].astype("float32") / 255, labels.astype("int32")


def to_dataset(split):
    """One split as a tf.data.Dataset of float32 (28, 28, 1) images in [0, 1] and int32 labels."""
    return tf.data.Dataset.from_tensor_slices(to_arrays(split))


def load_data_fashion_mnist(batch_size, resize=None):
    """Fashion-MNIST from local files (see d2l_ext.data), batched and shuffled exactly as d2l does."""
    resize_fn = lambda X, y: (tf.image.resize_with_pad(X, resize, resize) if resize else X, y)  # noqa: E731
    train = to_dataset("train")
    return (
        train.batch(batch_size).shuffle(len(train)).map(resize_fn),
        to_dataset("test").batch(batch_size).map(resize_fn),
    )


# ---- generated — edit notebooks/lr-scheduler.md, then run `make notebooks` ----
# fmt: off
# The code is almost identical to `d2l.train_ch6` defined in the 
# lenet section of chapter convolutional neural networks
def train(net_fn, train_iter, test_iter, num_epochs, lr,
              device=d2l.try_gpu(), custom_callback = False):
    device_name = device._device_name
    strategy = tf.distribute.OneDeviceStrategy(device_name)
    with strategy.scope():
        optimizer = tf.keras.optimizers.SGD(learning_rate=lr)
        loss = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        net = net_fn()
        net.compile(optimizer=optimizer, loss=loss, metrics=['accuracy'])
    callback = d2l.TrainCallback(net, train_iter, test_iter, num_epochs,
                             device_name)
    if custom_callback is False:
        net.fit(train_iter, epochs=num_epochs, verbose=0, 
                callbacks=[callback])
    else:
         net.fit(train_iter, epochs=num_epochs, verbose=0,
                 callbacks=[callback, custom_callback])
    return net
# fmt: on
# ---- end of generated code ----
