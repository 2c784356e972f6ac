"""What the tasks share: optimizers and schedulers from config, regularizers, callbacks, checkpoint I/O."""
