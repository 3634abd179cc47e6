"""The thin Typer layer: parse, call one service, render."""
