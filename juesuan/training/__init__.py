"""Token-classifier pretraining, fine-tuning, MLflow tracking and champion promotion."""
