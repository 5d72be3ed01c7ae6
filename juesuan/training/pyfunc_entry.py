"""MLflow models-from-code entry point for the token classifier (training/pyfunc.py saves this file with the model).

MLflow runs this file when it loads a registered version, instead of unpickling a Python object; keep it to the one
``set_model`` call.
"""

import mlflow.models

from juesuan.training.pyfunc import TokenClassifierModel

mlflow.models.set_model(TokenClassifierModel())
