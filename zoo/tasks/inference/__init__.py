"""Each kind of task's answers for raw inputs, as plain torch modules (zoo.tasks.inference.base):
what `zoo.load` and `zoo predict` build from a checkpoint, without Lightning or torchmetrics."""
