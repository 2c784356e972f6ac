"""The vocabulary every part of the zoo shares: the special tokens at the start of each zoo
tokenizer's vocabulary, and the target value that no loss or metric scores. Pure Python, so models,
data and tasks all import it from here."""

SPECIAL_TOKENS = ("<pad>", "<unk>", "<bos>", "<eos>")  # ids 0..3 in every zoo tokenizer
PAD, UNK, BOS, EOS = range(4)
MASK_TOKEN = "<mask>"  # WordPiece tokenizers for the masked LM add it next, at id 4
MASK = 4
FIRST_WORD = 5  # the first ordinary token of a tokenizer with <mask>
IGNORE = -100  # a target position that is not scored (padding, unmasked tokens): torch's ignore_index
