"""Python's argparse as an oracle for the project's parser (tests/core/parser_oracle_test.ts).

Reads one JSON document on stdin: {"signatures": [...], "vectors": [[signature index, argv,
{variant name: argv}], ...]}, where each signature is the parser's normalized form (positionals,
options, groups, subcommands). Builds an argparse parser for each and writes, for every vector and
each of its variants, how parse_args ends ("plain") and how parse_intermixed_args ends where
argparse allows it (no REMAINDER; for subcommands, their own words parsed so):
{"code": 0, "values": {...}}, {"code": 2, "error": "..."}, or {"code": -1, "error": "..."} when
argparse itself raised.
"""

import argparse
import json
import math
import sys

TYPES = {"string": str, "integer": int, "number": float}


class Rejected(Exception):
    pass


class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise Rejected(message)

    def exit(self, status=0, message=None):
        raise Rejected(message or f"exit {status}")


def nargs_of(value):
    if value is None:
        return {}
    if value == "...":
        return {"nargs": argparse.REMAINDER}
    return {"nargs": value}


def add_positional(parser, spec):
    kwargs = nargs_of(spec.get("nargs"))
    kwargs["type"] = TYPES[spec["type"]]
    if spec.get("choices") is not None:
        kwargs["choices"] = spec["choices"]
    if "default" in spec:
        kwargs["default"] = spec["default"]
    parser.add_argument(spec["key"], **kwargs)


def add_option(target, spec):
    action = spec["action"]
    kwargs = {"dest": spec["key"]}
    flags = list(spec["flags"])
    if spec.get("negativeFlag"):
        kwargs["action"] = argparse.BooleanOptionalAction
    elif action in ("store_true", "store_false", "count", "append"):
        kwargs["action"] = action
    if action in ("store", "append"):
        kwargs["type"] = TYPES[spec["type"]]
        if spec.get("choices") is not None:
            kwargs["choices"] = spec["choices"]
    if "default" in spec:
        kwargs["default"] = spec["default"]
    if spec.get("required"):
        kwargs["required"] = True
    target.add_argument(*flags, **kwargs)


class IntermixedSubParsers(argparse._SubParsersAction):
    """Subcommands whose words are parsed as parse_intermixed_args would (argparse has no way)."""

    def __call__(self, parser, namespace, values, option_string=None):
        name, arg_strings = values[0], values[1:]
        setattr(namespace, self.dest, name)
        try:
            subparser = self._name_parser_map[name]
        except KeyError:
            choices = ", ".join(map(repr, self._name_parser_map))
            raise argparse.ArgumentError(self, f"invalid choice: {name!r} (choose from {choices})")
        subnamespace, arg_strings = subparser.parse_known_intermixed_args(arg_strings, None)
        for key, value in vars(subnamespace).items():
            setattr(namespace, key, value)
        if arg_strings:
            vars(namespace).setdefault(argparse._UNRECOGNIZED_ARGS_ATTR, [])
            getattr(namespace, argparse._UNRECOGNIZED_ARGS_ATTR).extend(arg_strings)


def make_parser(signature, intermixed):
    parser = Parser(prog="prog", add_help=False)
    if intermixed:
        parser.register("action", "parsers", IntermixedSubParsers)
    build(parser, signature)
    return parser


def build(parser, signature):
    for spec in signature["positionals"]:
        add_positional(parser, spec)
    groups = {}
    for index, group in enumerate(signature["groups"]):
        made = parser.add_mutually_exclusive_group(required=group["required"])
        for key in group["keys"]:
            groups[key] = made
    for spec in signature["options"]:
        add_option(groups.get(spec["key"], parser), spec)
    if signature.get("subcommands"):
        sub = parser.add_subparsers(dest="subcommand", required=True, parser_class=Parser)
        for name, inner in signature["subcommands"]:
            build(sub.add_parser(name, add_help=False, allow_abbrev=True), inner)


def main():
    request = json.load(sys.stdin)
    plain = [make_parser(signature, False).parse_args for signature in request["signatures"]]
    intermixed = [intermixed_parse(signature) for signature in request["signatures"]]
    results = []
    for index, argv, variants in request["vectors"]:

        def readings(words):
            result = {"plain": outcome(plain[index], words)}
            if intermixed[index]:
                result["intermixed"] = outcome(intermixed[index], words)
            return result

        result = readings(argv)
        result["variants"] = {name: readings(words) for name, words in variants.items()}
        results.append(result)
    json.dump(results, sys.stdout)


def plain(value):
    """JSON has no infinity or NaN: they are shown as text, which no value of ours is."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"float({value})"
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value


def outcome(parse, argv):
    try:
        return {"code": 0, "values": plain(vars(parse(argv)))}
    except Rejected as rejected:
        return {"code": 2, "error": str(rejected)}
    except Exception as error:  # argparse itself failing is a result too
        return {"code": -1, "error": f"{type(error).__name__}: {error}"}


def intermixed_parse(signature):
    """parse_intermixed_args, or for subcommands their words parsed so; None with a REMAINDER."""
    if any(spec.get("nargs") == "..." for spec in signature["positionals"]):
        return None
    if signature.get("subcommands"):
        if signature["positionals"]:
            return None
        return make_parser(signature, True).parse_args
    return make_parser(signature, False).parse_intermixed_args


if __name__ == "__main__":
    main()
