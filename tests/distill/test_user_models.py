"""Models trained elsewhere: Hugging Face GPT-2 folders and TransformerLens state dicts load with
their tokens, give the outputs their own libraries give, and bad input is one clear line."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from rasplab.cli.main import main
from rasplab.distill.sequence_oracle import SequenceOracle
from rasplab.distill.user_models import load_user_model
from rasplab.errors import ExamplesError, ModelFileError
from rasplab.lang.values import ANY

TOKENS = [0, 1, 2, 3, "<bos>", "<sep>", "<eos>", "<pad>"]


@pytest.fixture(scope="module")
def gpt2_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(0)
    model = GPT2LMHeadModel(GPT2Config(vocab_size=len(TOKENS), n_positions=16, n_embd=16,
                                       n_layer=1, n_head=2))
    folder = tmp_path_factory.mktemp("gpt2")
    model.save_pretrained(folder, safe_serialization=True)
    (folder / "tokens.json").write_text(json.dumps(TOKENS))
    return folder


@pytest.fixture(scope="module")
def tl_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from safetensors.torch import save_file
    from transformer_lens import HookedTransformer, HookedTransformerConfig

    torch.manual_seed(0)
    cfg = HookedTransformerConfig(n_layers=1, d_model=16, n_ctx=12, d_head=8, n_heads=2,
                                  d_vocab=5, d_vocab_out=3, act_fn="relu",
                                  attention_dir="bidirectional")
    model = HookedTransformer(cfg)
    folder = tmp_path_factory.mktemp("tl")
    save_file({k: v.contiguous() for k, v in model.state_dict().items()},
              str(folder / "clf.safetensors"))
    raw = {k: (str(v) if not isinstance(v, int | float | str | bool | list | dict | None) else v)
           for k, v in cfg.to_dict().items()}
    (folder / "clf.json").write_text(json.dumps(raw))
    return folder / "clf.safetensors", folder / "clf.json"


def test_a_gpt2_folder_gives_what_transformers_gives(gpt2_folder: Path) -> None:
    from transformers import GPT2LMHeadModel

    model = load_user_model(gpt2_folder)
    assert model.kind == "hf" and model.causal and model.context == 16
    ids = [[4, 0, 2, 5, 0, 2], [4, 1, 5]]
    ref = GPT2LMHeadModel.from_pretrained(gpt2_folder)
    ref.eval()
    for got, x in zip(model.logits(ids), ids):
        with torch.no_grad():
            want = ref(torch.tensor([x])).logits[0].numpy()
        assert np.allclose(got, want, atol=1e-5)
    att = model.attention(ids)
    assert att["blocks.0.attn.hook_pattern"][0].shape == (2, 6, 6)


def test_next_token_outputs_are_compared_from_the_separator_and_never_at_the_end(
        gpt2_folder: Path) -> None:
    oracle = SequenceOracle(load_user_model(gpt2_folder), TOKENS, predict="next",
                            from_token="<sep>")
    x = ["<bos>", 0, 2, "<sep>", 0, 2, "<eos>"]
    (out,) = oracle([x])
    assert out[:3] == [ANY] * 3 and out[-1] is ANY
    assert all(v in TOKENS for v in out[3:6])
    sets = SequenceOracle(load_user_model(gpt2_folder), TOKENS, predict="next-set")
    (got,) = sets([x])
    assert got[-1] is ANY and all(isinstance(s, tuple) for s in got[:-1])


def test_a_tl_state_dict_with_bos_at_id_zero_classifies_each_position(
        tl_files: tuple[Path, Path]) -> None:
    from transformer_lens import HookedTransformer

    path, cfg = tl_files
    model = load_user_model(path)  # the config is found beside it
    assert model.kind == "tl" and not model.causal and model.n_out == 3
    oracle = SequenceOracle(model, ["<bos>", "a", "b", "c", "d"], predict="classes",
                            bos="<bos>", classes=["x", "y", "z"])
    (out,) = oracle([["a", "c", "d"]])
    assert len(out) == 3 and set(out) <= {"x", "y", "z"}
    ref = HookedTransformer(model.module.cfg)
    ref.load_state_dict(model.module.state_dict())
    with torch.no_grad():
        want = ref(torch.tensor([[0, 1, 3, 4]]))[0, 1:].argmax(-1).tolist()
    assert out == [["x", "y", "z"][i] for i in want]


def test_bad_models_and_tokens_are_one_clear_error(gpt2_folder: Path, tmp_path: Path,
                                                    tl_files: tuple[Path, Path]) -> None:
    with pytest.raises(ModelFileError, match="no config.json"):
        load_user_model(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "bert", "vocab_size": 8}))
    with pytest.raises(ModelFileError, match="cannot load"):
        load_user_model(tmp_path)
    with pytest.raises(ExamplesError, match="lists 7 tokens but the model reads 8"):
        SequenceOracle(load_user_model(gpt2_folder), TOKENS[:-1])
    oracle = SequenceOracle(load_user_model(gpt2_folder), TOKENS)
    with pytest.raises(ExamplesError, match="token 9 at position 1"):
        oracle.encode(["<bos>", 9])
    with pytest.raises(ExamplesError, match="context of 16"):
        oracle.check_length(17, "--max-len")
    path, _ = tl_files
    wrong = tmp_path / "wrong.json"
    raw = json.loads(tl_files[1].read_text())
    raw["d_model"] = 32
    raw["d_head"] = 16
    wrong.write_text(json.dumps(raw))
    with pytest.raises(ModelFileError, match="does not match the state dict"):
        load_user_model(path, wrong)


def _cli(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str]:
    code = main(["distill", *args])
    return code, capsys.readouterr().err


def test_the_command_line_refuses_bad_input_before_any_work(
        gpt2_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    prompts = tmp_path / "p.jsonl"
    prompts.write_text(json.dumps(["<bos>", 0, 1, "<sep>", 0, 1, "<eos>"]) + "\n")
    bad_prompt = tmp_path / "bad.jsonl"
    bad_prompt.write_text(json.dumps(["<bos>", 0, "x", "<sep>"]) + "\n")
    short = tmp_path / "short.json"
    short.write_text(json.dumps(TOKENS[:3]))
    tok = str(gpt2_folder / "tokens.json")
    cases = [
        ([str(tmp_path / "nothing-here")], "not found"),
        ([str(tmp_path), "--tokens", tok], "config.json"),
        ([str(gpt2_folder), "--tokens", str(short)], "lists 3 tokens"),
        ([str(gpt2_folder), "--tokens", tok, "--prompts", str(bad_prompt)], "'x'"),
        ([str(gpt2_folder), "--tokens", tok, "--prompts", str(prompts), "--from", "<pad>"],
         "occurs in none"),
        ([str(gpt2_folder), "--tokens", tok, "--max-len", "40"], "context of 16"),
        ([str(gpt2_folder), "--tokens", tok, "--n", "-5"], "--n"),
        ([str(gpt2_folder), "--tokens", tok, "--timeout", "-1"], "--timeout"),
    ]
    for args, words in cases:
        code, err = _cli(capsys, *args, "-o", str(tmp_path / "report"))
        assert code == 2, args
        assert len(err.strip().splitlines()) == 1 and words in err, (args, err)
        assert "Traceback" not in err
    assert not (tmp_path / "report").exists()


def test_the_api_distils_a_hooked_transformer_object_through_its_tokens() -> None:
    """`distill(model, tokens=, bos=, classes=, prompts=)` on a HookedTransformer in memory
    (the gt_first fixture: is each token larger than the first one?)."""
    from rasplab.distill import distill
    from rasplab.distill.sequence_oracle import read_sequences, read_token_list

    folder = Path(__file__).resolve().parents[1] / "data" / "lm" / "gt_first"
    model = load_user_model(folder / "gt_first.safetensors").module
    result = distill(model, tokens=read_token_list(folder / "tokens.json", "tokens"),
                     bos="<bos>", classes=read_token_list(folder / "classes.json", "classes"),
                     prompts=read_sequences(folder / "prompts.jsonl"),
                     test=read_sequences(folder / "test.jsonl"), budget=30, n=100)
    assert result.sequence_agreement >= 0.99
    with pytest.raises(ExamplesError, match="context"):
        distill(model, tokens=read_token_list(folder / "tokens.json", "tokens"), bos="<bos>",
                max_len=100)
