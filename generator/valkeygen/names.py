"""Naming rules: spec names -> C++ identifiers.

* words: the spec name split at anything not a letter or digit (`-`, `_`, a
  space), then each spec word that runs several together is split by
  words.SPLITS (`frommember` -> from member, `createconsumer` -> create
  consumer); nothing else is guessed;
* structs and nested types: PascalCase of the words (`client kill` -> ClientKill,
  `xgroup createconsumer` -> XgroupCreateConsumer, `count-block` -> CountBlock);
* members: snake_case of the words (`nomkstream` -> no_mk_stream);
* surface methods: the command as sent, lowercase, its words (a container and
  its subcommand) joined by `_`, never split further (`zrangebyscore`,
  `xgroup_createconsumer`): the name a user knows from the command reference;
* an identifier that is a C++ keyword (or alternative token: and, or, not...)
  gets a trailing underscore (`and_`);
* a surface method that would collide with a C++ keyword or an executor method
  (exec, call, pipeline, transaction, subscribe) gets the suffix `_command`.
"""
import re

from .words import SPLITS

CPP_KEYWORDS = frozenset("""
alignas alignof and and_eq asm auto bitand bitor bool break case catch char char8_t
char16_t char32_t class compl concept const consteval constexpr constinit const_cast
continue co_await co_return co_yield decltype default delete do double dynamic_cast else
enum explicit export extern false float for friend goto if inline int long mutable
namespace new noexcept not not_eq nullptr operator or or_eq private protected public
register reinterpret_cast requires return short signed sizeof static static_assert
static_cast struct switch template this thread_local throw true try typedef typeid
typename union unsigned using virtual void volatile wchar_t while xor xor_eq
""".split())

# Names the executors themselves define; generated methods must not hide them.
EXECUTOR_METHODS = frozenset({"exec", "call", "pipeline", "transaction", "subscribe"})

# Names that would clash with what every generated struct declares.
RESERVED_MEMBERS = frozenset({"info", "reply_type", "Options"})


def spec_words(name):
    """The spec's own words: split at anything not a letter or digit."""
    return [w for w in re.split(r"[^A-Za-z0-9]+", name) if w]


def words(name):
    """Identifier words: the spec's words, run-together ones split by SPLITS."""
    out = []
    for w in spec_words(name):
        out.extend(SPLITS.get(w.lower(), w).split(" "))
    return out


def pascal(name):
    out = "".join(w[:1].upper() + w[1:].lower() for w in words(name))
    if not out or out[0].isdigit():
        out = "V" + out
    return out


def snake(name):
    out = "_".join(w.lower() for w in words(name))
    if not out or out[0].isdigit():
        out = "v" + out
    return out


def identifier(name):
    """snake_case, with a trailing underscore for C++ keywords."""
    s = snake(name)
    if s in CPP_KEYWORDS or s in RESERVED_MEMBERS:
        s += "_"
    return s


def method_name(command_name):
    s = "_".join(w.lower() for w in spec_words(command_name))
    if s in CPP_KEYWORDS or s in EXECUTOR_METHODS:
        s += "_command"
    return s


def plural(name):
    """Member name of a repeated argument: `key` -> `keys`, `data` stays."""
    s = identifier(name).rstrip("_")
    if s.endswith(("s", "data", "_block")) or s in ("id_",):
        out = s
    elif s.endswith(("x", "sh", "ch")):
        out = s + "es"
    elif s.endswith("y") and not s.endswith(("ay", "ey", "oy")):
        out = s[:-1] + "ies"
    else:
        out = s + "s"
    if out in CPP_KEYWORDS or out in RESERVED_MEMBERS:
        out += "_"
    return out


def type_name(name):
    """Nested type name for a block/oneof argument; a `-block` suffix adds nothing."""
    n = re.sub(r"[-_]block$", "", name)
    return pascal(n)
