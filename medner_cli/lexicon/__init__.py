"""Drug names from a lexicon (docs/lexicon.md): ``DrugLexicon.load(model_dir)`` reads a model
folder's ``drugs.tsv.gz`` once per process, ``LexiconStep(lexicon)`` is the pipeline step that
merges its hits into the model's entities. The file is built by ``medner_cli.lexicon.build``."""

from medner_cli.lexicon.match import (LAB_ANALYTES, LEXICON, DrugLexicon, Hit, LexiconStep,
                                      find_file, lexicon_step)

__all__ = ["LAB_ANALYTES", "LEXICON", "DrugLexicon", "Hit", "LexiconStep", "find_file",
           "lexicon_step"]
