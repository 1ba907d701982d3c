"""An MLP classifier trained with scikit-learn and exported by skl2onnx (ZipMap disabled).

Run as a script to write the model: python mlp_sklearn.py OUT.onnx
"""
import sys

import numpy as np
from sklearn.datasets import load_digits
from sklearn.neural_network import MLPClassifier
from skl2onnx import to_onnx

TARGET_OPSET = 15


def build(seed=0):
    """Returns (onnx ModelProto, x_test float32 [N, 64], y_test int64 [N])."""
    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    clf = MLPClassifier(hidden_layer_sizes=(32, 16), max_iter=200, random_state=seed)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: accuracy is not what is tested here
        clf.fit(x[:1200], y[:1200])
    model = to_onnx(clf, x[:1], options={id(clf): {"zipmap": False}},
                    target_opset={"": TARGET_OPSET, "ai.onnx.ml": 1})
    return model, x[1200:], y[1200:]


if __name__ == "__main__":
    model, _, _ = build()
    with open(sys.argv[1], "wb") as f:
        f.write(model.SerializeToString())
