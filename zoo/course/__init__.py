"""The course's algorithms written out, apart from the run machinery: reverse-mode automatic
differentiation on a computational graph (autodiff), backpropagation by its equations
(backprop), gradient checking by central differences (gradcheck), SGD with momentum, RMSprop and
Adam from their update rules (optimizers, usable as `optimizer=course_*`) and a Kneser-Ney n-gram
language model (ngram). Each has a test against the library's own version (torch.autograd,
torch.optim) or a known value; `agreement` measures those gaps for docs/RESULTS.md."""
