"""Rule matching: normalization, morphology, the query language and the compiled rule set.

Pure: no I/O, no telethon, no storage. See ``ruleset`` for how matching stays fast and for the
documented choice on derived words (``Курск`` does not match ``Курской``).
"""

from bot.matching.highlight import RuleMatch
from bot.matching.normalize import normalize
from bot.matching.query import Query, parse_query
from bot.matching.ruleset import RuleSet

__all__ = ["Query", "RuleMatch", "RuleSet", "normalize", "parse_query"]
